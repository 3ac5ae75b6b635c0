"""The imaging datasets: valid with no error and no warning, coherent DICOM UIDs, selections inside one
series of their study; loading by transaction and by single creates keeps the server's ids, rewrites
references and tags every resource with the run."""

from __future__ import annotations

import re

import pytest

from harness.engine import fixtures as fx
from harness.engine.http import Client, ClientConfig
from harness import imaging
from harness.validation.validator import validate_value
from tests.engine.inprocess import in_process

UID = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")


def _uids(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("uid", "studyUid", "seriesUid") and isinstance(v, str):
                yield v
            elif k == "value" and isinstance(v, str) and v.startswith("urn:oid:"):
                yield v[8:]
            else:
                yield from _uids(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _uids(v)


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_dataset_valid_without_warnings(version):
    ds = fx.dataset(version)
    assert sum(r["resourceType"] == "Patient" for r in ds.values()) >= 3
    assert sum(r["resourceType"] == "ImagingStudy" and len(r["series"]) > 1 for r in ds.values()) >= 3
    for name, res in ds.items():
        result = validate_value(res, name, version)
        assert not [i for i in result.issues if i.severity in ("error", "warning")], (name, result.issues)
        for uid in _uids(res):
            assert UID.match(uid) and len(uid) <= 64, (name, uid)
        if res["resourceType"] == "Endpoint":
            assert not res["address"].endswith("/") and not res["address"].endswith("/studies")


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_negative_fixtures_invalid(version):
    for name, res in fx.negatives(version).items():
        assert not validate_value(res, name, version).valid, name


def test_selections_are_single_series():
    ds = fx.dataset("r5")
    sels = [r for r in ds.values() if r["resourceType"] == "ImagingSelection"]
    assert len(sels) >= 2
    index = imaging.Index.of("the dataset", ds.values())
    for sel in sels:
        assert [i for i in imaging.run(sel, "r5", index) if i.severity != "information"] == []


@pytest.mark.parametrize("transaction", [True, False])
def test_load_keeps_server_ids_rewrites_references_and_tags(transaction):
    created = []
    with in_process("r5") as base:
        client = Client(ClientConfig(base))
        loaded = fx.load_dataset(client, "r5", "run123", transaction, created.append)
        study = client.request("GET", loaded.refs["study-ct-chest"]).json()
        sel = client.request("GET", loaded.refs["selection-ct-keyimages"]).json()
    assert loaded.via == ("transaction" if transaction else "create")
    assert len(created) == len(fx.dataset("r5")) == len(loaded.refs)
    assert study["subject"]["reference"] == loaded.refs["patient-anna"]
    assert study["id"] != "study-ct-chest"
    assert sel["derivedFrom"][0]["reference"] == loaded.refs["study-ct-chest"]
    assert {"system": fx.TAG_SYSTEM, "code": "run123"} in [
        {"system": t.get("system"), "code": t.get("code")} for t in study["meta"]["tag"]]
    assert fx.load_order(fx.dataset("r5")).index("patient-anna") < fx.load_order(fx.dataset("r5")).index("study-ct-chest")
