"""Create, read, vread, update, delete, history and the conditional headers, over real HTTP."""

from __future__ import annotations

import requests

from harness.server.embedded import running
from tests.server.data import FHIR_JSON, TIMEOUT, create, fixture, get, patient, selection, study


def test_metadata_is_a_capability_statement(r5_base):
    r = get(f"{r5_base}/metadata")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/fhir+json")
    cs = r.json()
    assert cs["resourceType"] == "CapabilityStatement" and cs["fhirVersion"] == "5.0.0"
    types = {res["type"]: res for res in cs["rest"][0]["resource"]}
    assert set(types) == {"ImagingSelection", "ImagingStudy", "Endpoint", "Patient", "Practitioner",
                          "ServiceRequest", "Observation", "SearchParameter"}  # read-only: the definitions
    assert [i["code"] for i in types["SearchParameter"]["interaction"]] == ["read", "search-type"]
    params = {p["name"]: p for p in types["ImagingSelection"]["searchParam"]}
    assert params["code"]["type"] == "token" and "study-uid" in params and "_lastUpdated" in params
    assert "ImagingSelection.code" in params["code"]["documentation"]  # the R5 erratum applied


def test_create_read_vread_update_delete(r5_base):
    r = create(r5_base, fixture("r5", "imagingselection-mr-prostate-roi.json"))
    assert r.status_code == 201
    body = r.json()
    rid = body["id"]
    assert rid != "sel-mr-prostate-roi"  # the server assigns ids on create
    assert r.headers["Location"] == f"{r5_base}/ImagingSelection/{rid}/_history/1"
    assert r.headers["ETag"] == 'W/"1"' and body["meta"]["versionId"] == "1"
    r = get(f"{r5_base}/ImagingSelection/{rid}")
    assert r.status_code == 200 and r.json()["studyUid"] == body["studyUid"]
    assert r.headers["ETag"] == 'W/"1"'

    body["status"] = "unknown"
    r = requests.put(f"{r5_base}/ImagingSelection/{rid}", json=body, headers=FHIR_JSON, timeout=TIMEOUT)
    assert r.status_code == 200 and r.headers["ETag"] == 'W/"2"'
    assert get(f"{r5_base}/ImagingSelection/{rid}/_history/1").json()["status"] == "available"
    assert get(f"{r5_base}/ImagingSelection/{rid}/_history/2").json()["status"] == "unknown"
    assert get(f"{r5_base}/ImagingSelection/{rid}/_history/3").status_code == 404

    r = requests.delete(f"{r5_base}/ImagingSelection/{rid}", timeout=TIMEOUT)
    assert r.status_code == 200
    r = get(f"{r5_base}/ImagingSelection/{rid}")
    assert r.status_code == 410 and r.json()["resourceType"] == "OperationOutcome"
    assert get(f"{r5_base}/ImagingSelection/{rid}/_history/3").status_code == 410
    hist = get(f"{r5_base}/ImagingSelection/{rid}/_history").json()
    assert hist["type"] == "history" and [e["request"]["method"] for e in hist["entry"]] == ["DELETE", "PUT", "POST"]
    assert "resource" not in hist["entry"][0]


def test_update_creates_with_client_id_and_if_match(r5_base):
    p = patient("pat-client-1")
    r = requests.put(f"{r5_base}/Patient/pat-client-1", json=p, headers=FHIR_JSON, timeout=TIMEOUT)
    assert r.status_code == 201
    r = requests.put(f"{r5_base}/Patient/pat-client-1", json=p, headers={**FHIR_JSON, "If-Match": 'W/"7"'},
                     timeout=TIMEOUT)
    assert r.status_code == 412 and r.json()["resourceType"] == "OperationOutcome"
    r = requests.put(f"{r5_base}/Patient/pat-client-1", json=p, headers={**FHIR_JSON, "If-Match": 'W/"1"'},
                     timeout=TIMEOUT)
    assert r.status_code == 200 and r.headers["ETag"] == 'W/"2"'
    assert get(f"{r5_base}/Patient/pat-client-1", {"If-None-Match": 'W/"2"'}).status_code == 304
    r = requests.put(f"{r5_base}/Patient/other", json=p, headers=FHIR_JSON, timeout=TIMEOUT)
    assert r.status_code == 400  # body id differs from the URL id


def test_invalid_resources_are_rejected_with_an_outcome(r5_base):
    bad = selection("Patient/x")
    bad["code"] = {"coding": [{"system": "urn:x", "code": "y"}]}
    bad["status"] = "bogus"
    del bad["subject"]
    bad["instance"] = [{"number": 1}]  # instance.uid is 1..1
    r = create(r5_base, bad)
    assert r.status_code == 422
    rules = {i["details"]["coding"][0]["code"] for i in r.json()["issue"] if i["severity"] == "error"}
    assert {"binding.required", "structure.cardinality"} <= rules
    r = requests.post(f"{r5_base}/Patient", data=b'{"resourceType": "Patient",', headers=FHIR_JSON, timeout=TIMEOUT)
    assert r.status_code == 400 and r.json()["resourceType"] == "OperationOutcome"
    raw = b'{"resourceType": "Patient", "gender": "female", "gender": "male"}'
    r = requests.post(f"{r5_base}/Patient", data=raw, headers=FHIR_JSON, timeout=TIMEOUT)
    assert r.status_code == 422


def test_errors_are_outcomes_never_tracebacks(r5_base):
    cases = [("GET", "/Nope/1", 404), ("GET", "/Patient/does-not-exist", 404), ("PATCH", "/Patient/x", 405),
             ("DELETE", "/Patient", 405), ("GET", "/Patient/x/_history/abc", 404),
             ("GET", "/Patient?_format=xml", 406)]
    for method, path, status in cases:
        r = requests.request(method, r5_base + path, timeout=TIMEOUT)
        assert r.status_code == status, (method, path, r.text)
        assert r.json()["resourceType"] == "OperationOutcome"
        assert "Traceback" not in r.text
    r = requests.post(f"{r5_base}/Patient", data=b"<Patient/>", headers={"Content-Type": "application/fhir+xml"},
                      timeout=TIMEOUT)
    assert r.status_code == 415


def test_plain_json_and_format_are_accepted(r5_base):
    r = requests.post(f"{r5_base}/Patient", json=patient(), headers={"Content-Type": "application/json"},
                      timeout=TIMEOUT)
    assert r.status_code == 201
    assert get(f"{r5_base}/Patient/{r.json()['id']}?_format=json").status_code == 200
    assert get(f"{r5_base}/Patient/{r.json()['id']}", {"Accept": "application/json"}).status_code == 200


def test_prefer_return_minimal(r5_base):
    r = create(r5_base, study("r5", "Patient/p"), {"Prefer": "return=minimal"})
    assert r.status_code == 201 and r.content == b"" and "Location" in r.headers


def test_conditional_create(r5_base):
    p = patient(mrn="COND-1")
    cond = {"If-None-Exist": "identifier=http://hospital.example.org/mrn|COND-1"}
    first = create(r5_base, p, cond)
    assert first.status_code == 201
    again = create(r5_base, p, cond)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    create(r5_base, patient(mrn="COND-2"))
    create(r5_base, patient(mrn="COND-2"))
    r = create(r5_base, p, {"If-None-Exist": "identifier=http://hospital.example.org/mrn|COND-2"})
    assert r.status_code == 412


def test_last_modified_is_an_http_date(r5_base):
    from email.utils import parsedate_to_datetime
    r = create(r5_base, patient())
    when = parsedate_to_datetime(r.headers["Last-Modified"])
    assert when.tzinfo is not None and r.headers["Last-Modified"].endswith("GMT")


def test_running_is_fast_and_leaves_nothing_behind():
    import threading
    import time
    with running("r5"):
        pass  # warm: definitions and parameter catalog loaded once per process
    before = threading.active_count()
    t = time.monotonic()
    for _ in range(5):
        with running("r5") as url:
            assert get(f"{url}/metadata").status_code == 200
    assert (time.monotonic() - t) / 5 < 1.0
    with running("r5") as url, requests.Session() as s:
        s.get(f"{url}/metadata", timeout=TIMEOUT)
        t = time.monotonic()
        for _ in range(20):
            assert s.get(f"{url}/Patient/nope", timeout=TIMEOUT).status_code == 404
        assert (time.monotonic() - t) / 20 < 0.02  # keep-alive without the ~40 ms delayed-ACK stall
    time.sleep(0.2)
    assert threading.active_count() <= before


def test_imaging_rules_run_against_the_stored_study(r5_base):
    created = create(r5_base, study("r5", "Patient/p", uid="2.25.4242", series=2))
    assert created.status_code == 201
    sel = selection("Patient/p", "2.25.4242", series=1, study_ref=f"ImagingStudy/{created.json()['id']}")
    assert create(r5_base, sel).status_code == 201
    sel["instance"].append({"uid": "2.25.4242.2.1"})  # an instance of the study's other series
    r = create(r5_base, sel)
    assert r.status_code == 422
    rules = {i["details"]["coding"][0]["code"] for i in r.json()["issue"] if i["severity"] == "error"}
    assert "imaging.single-series" in rules, r.text


def test_concurrent_writes_and_reads(r5_base):
    from concurrent.futures import ThreadPoolExecutor

    pid = create(r5_base, patient(family="Concurrent")).json()["id"]

    def work(n):
        made = create(r5_base, patient(family=f"Conc{n}", mrn=f"C-{n}")).json()["id"]
        body = get(f"{r5_base}/Patient/{pid}").json()
        r = requests.put(f"{r5_base}/Patient/{pid}", json=body, headers=FHIR_JSON, timeout=TIMEOUT)
        found = get(f"{r5_base}/Patient", identifier=f"http://hospital.example.org/mrn|C-{n}").json()
        return made, r.status_code, [e["resource"]["id"] for e in found.get("entry", [])]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(16)))
    assert all(status == 200 and found == [made] for made, status, found in results)
    history = get(f"{r5_base}/Patient/{pid}/_history").json()
    assert [int(e["response"]["etag"][3:-1]) for e in history["entry"]] == list(range(17, 0, -1))
