"""Any query is answered with 200 or a 400 OperationOutcome, never a 500 (property-based)."""

from __future__ import annotations

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.server.embedded import running
from harness.server.indexing import catalog
from tests.server.data import TIMEOUT, created_id, patient, selection, study

PARAMS = sorted(catalog("r5").params["ImagingSelection"]) + ["_count", "_sort", "_include", "_revinclude",
                                                             "_summary", "_total", "nope", "subject.name",
                                                             "patient.identifier", "derived-from.modality"]
MODIFIERS = ["", ":missing", ":not", ":exact", ":contains", ":identifier", ":below", ":above", ":Patient",
             ":text", ":"]
VALUE_PARTS = ["", "2020", "gt2020-01", "ap2024-02-07T14:00:00Z", "113000", "|", ",", "\\", "Patient/x",
               "http://x/Patient/1", "true", "false", "-issued", "ImagingSelection:subject", "count", "1",
               "urn:oid:1.2", "%", "_", "é", "  "]


@pytest.fixture(scope="module")
def base():
    with running("r5") as url:
        pid = created_id(url, patient())
        sid = created_id(url, study("r5", f"Patient/{pid}"))
        created_id(url, selection(f"Patient/{pid}", study_ref=f"ImagingStudy/{sid}"))
        yield url


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(st.sampled_from(PARAMS), st.sampled_from(MODIFIERS),
                                st.lists(st.sampled_from(VALUE_PARTS), min_size=1, max_size=3)),
                      min_size=1, max_size=3),
       strict=st.booleans())
def test_no_query_breaks_the_server(base, pairs, strict):
    params = [(name + mod, "".join(parts)) for name, mod, parts in pairs]
    r = requests.get(f"{base}/ImagingSelection", params=params, timeout=TIMEOUT,
                     headers={"Prefer": "handling=strict"} if strict else {})
    assert r.status_code in (200, 400), (params, r.status_code, r.text)
    body = r.json()
    assert body["resourceType"] == ("Bundle" if r.status_code == 200 else "OperationOutcome")


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                    | st.sampled_from(["", "x", "2020", "Patient/1", "available", "urn:uuid:1"]),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                        st.sampled_from(["id", "status", "subject", "reference", "instance", "uid", "code",
                                         "coding", "meta", "text", "extension", "url", "x"]), inner, max_size=4),
                    max_leaves=12)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(["status", "subject", "instance", "code", "meta", "id", "contained",
                                             "studyUid", "seriesUid", "issued"]), JSON, max_size=5),
       method=st.sampled_from(["POST", "PUT"]))
def test_no_body_breaks_the_server(base, body, method):
    body = {"resourceType": "ImagingSelection", **body}
    url = f"{base}/ImagingSelection" + ("/fuzz-1" if method == "PUT" else "")
    if method == "PUT":
        body["id"] = "fuzz-1"
    r = requests.request(method, url, json=body, timeout=TIMEOUT, headers={"Content-Type": "application/fhir+json"})
    assert r.status_code in (200, 201, 400, 422), (body, r.status_code, r.text)
    assert r.json()["resourceType"] in ("ImagingSelection", "OperationOutcome")
