"""The reference server's options (harness/server/faults.py OPTIONS): each withdraws one claim, and the
server then does what FHIR allows for what it does not support: ignore it, or reject it under
Prefer: handling=strict. The SearchParameters it serves (what declares its chains) validate cleanly."""

from __future__ import annotations

import pytest

from harness.server.embedded import running
from harness.pipeline.validator import validate_value
from tests.server.data import create, created_id, get, ids, patient, study

STRICT = {"Prefer": "handling=strict"}


def _resource(cs: dict, rtype: str) -> dict:
    return next(r for r in cs["rest"][0]["resource"] if r["type"] == rtype)


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_served_search_parameters_declare_the_chains_and_validate(version):
    with running(version) as base:
        cs = get(f"{base}/metadata").json()
        subject = next(p for p in _resource(cs, "ImagingStudy")["searchParam"] if p["name"] == "subject")
        found = get(f"{base}/SearchParameter?url={subject['definition']}").json()
        assert found["total"] == 1
        sp = found["entry"][0]["resource"]
        assert "identifier" in sp["chain"] and "ImagingStudy" in sp["base"]
        assert get(f"{base}/SearchParameter/{sp['id']}").json() == sp
        assert get(f"{base}/SearchParameter/no-such-id").status_code == 404
        assert get(f"{base}/SearchParameter", STRICT, nonsense="x").status_code == 400
        every = get(f"{base}/SearchParameter").json()["entry"]
        issues = [(e["resource"]["id"], i.message) for e in every
                  for i in validate_value(e["resource"], "sp", version).issues if i.severity in ("error", "warning")]
        assert issues == []


def test_options_withdraw_the_claim_and_ignore_or_reject():
    with running("r5", faults=("no-chaining", "no-includes", "no-tag-search")) as base:
        cs = get(f"{base}/metadata").json()
        study_claim = _resource(cs, "ImagingStudy")
        assert "searchInclude" not in study_claim and "searchRevInclude" not in study_claim
        assert "_tag" not in {p["name"] for p in study_claim["searchParam"]}
        subject = next(p for p in study_claim["searchParam"] if p["name"] == "subject")
        served = get(f"{base}/SearchParameter?url={subject['definition']}").json()["entry"][0]["resource"]
        assert "chain" not in served
        pid = created_id(base, patient(mrn="opt-1"))
        sid = created_id(base, study("r5", f"Patient/{pid}", uid="2.25.9001"))
        for query in ({"subject.identifier": "urn:no|x"}, {"_include": "ImagingStudy:subject"},
                      {"_tag": "urn:no|x"}):
            lenient = get(f"{base}/ImagingStudy", **query)
            assert lenient.status_code == 200 and sid in ids(lenient.json()), query  # ignored
            assert not ids(lenient.json(), "include")
            strict = get(f"{base}/ImagingStudy", STRICT, **query)
            assert strict.status_code == 400 and strict.json()["resourceType"] == "OperationOutcome", query


def test_omit_search_mode_leaves_it_out_of_matches_only():
    with running("r5", faults=("omit-search-mode",)) as base:
        pid = created_id(base, patient(mrn="opt-2"))
        create(base, study("r5", f"Patient/{pid}", uid="2.25.9002"))
        entries = get(f"{base}/ImagingStudy", _include="ImagingStudy:subject").json()["entry"]
        assert {e["resource"]["resourceType"]: e.get("search") for e in entries} == {
            "ImagingStudy": None, "Patient": {"mode": "include"}}
