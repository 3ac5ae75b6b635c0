"""$validate on the FHIR server and the validator service (`serve --validator-only`)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from harness.server.app import create_validator_app
from harness.server.embedded import running, serving
from tests.server.data import FHIR_JSON, TIMEOUT, fixture, patient, selection, study


@pytest.fixture(scope="module")
def validator():
    """The validator service on its own, with a 1 MB body limit."""
    with serving(create_validator_app(max_body=1024 * 1024)) as url:
        yield url


def _errors(oo):
    return [i for i in oo["issue"] if i["severity"] == "error"]


def test_valid_resource(validator):
    r = requests.post(f"{validator}/$validate", json=fixture("r5", "imagingselection-mr-prostate-roi.json"),
                      headers=FHIR_JSON, timeout=TIMEOUT)
    assert r.status_code == 200 and r.json()["resourceType"] == "OperationOutcome"
    assert _errors(r.json()) == []


def test_invalid_resource_is_200_with_the_issues(validator):
    bad = selection("Patient/x")
    bad["status"] = "bogus"
    r = requests.post(f"{validator}/ImagingSelection/$validate", json=bad, headers=FHIR_JSON, timeout=TIMEOUT)
    assert r.status_code == 200
    (err,) = _errors(r.json())
    assert err["details"]["coding"][0]["code"] == "binding.required"
    assert err["expression"] == ["ImagingSelection.status"]


def test_version_choice_and_bundles(validator):
    study = fixture("r4", "imagingstudy-ct-abdomen.json")
    assert _errors(requests.post(f"{validator}/$validate?fhirVersion=r4", json=study, timeout=TIMEOUT).json()) == []
    assert _errors(requests.post(f"{validator}/$validate?fhirVersion=r5", json=study, timeout=TIMEOUT).json())
    assert requests.post(f"{validator}/$validate?fhirVersion=r9", json=study, timeout=TIMEOUT).status_code == 400
    bad = patient()
    bad["gender"] = "bogus"
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000001", "resource": patient()},
        {"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000002", "resource": bad}]}
    (err,) = _errors(requests.post(f"{validator}/$validate", json=bundle, timeout=TIMEOUT).json())
    assert err["expression"] == ["Bundle.entry[1].resource.gender"]
    params = {"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": bad}]}
    assert _errors(requests.post(f"{validator}/$validate", json=params, timeout=TIMEOUT).json())


def test_stu3_is_validated_as_3_0_2(validator):
    """The service validates stu3 with the published 3.0.2 definitions: a STU3 ImagingStudy (uid,
    patient, oid sopClass) has no error; the seed-003 draft's ImagingManifest.title is unknown."""
    study = fixture("stu3", "imagingstudy-mr-brain.json")
    url = f"{validator}/$validate?fhirVersion=stu3"
    assert _errors(requests.post(url, json=study, headers=FHIR_JSON, timeout=TIMEOUT).json()) == []
    manifest = fixture("stu3", "imagingmanifest-mr-brain.json")
    manifest["title"] = {"coding": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "113013"}]}
    (err,) = _errors(requests.post(f"{validator}/$validate", json=manifest, headers=FHIR_JSON, timeout=TIMEOUT).json())
    assert err["details"]["coding"][0]["code"] == "structure.unknown-element"
    assert err["expression"] == ["ImagingManifest.title"]


def test_refusals(validator):
    r = requests.post(f"{validator}/$validate", data=b"not json", headers=FHIR_JSON, timeout=TIMEOUT)
    assert r.status_code == 400 and r.json()["resourceType"] == "OperationOutcome"
    r = requests.post(f"{validator}/$validate", data=b"{}", headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
    assert r.status_code == 415
    big = json.dumps({"resourceType": "Patient", "text": {"div": "x" * (2 * 1024 * 1024)}}).encode()
    r = requests.post(f"{validator}/$validate", data=big, headers=FHIR_JSON, timeout=TIMEOUT)
    assert r.status_code == 413
    deep = b'{"resourceType": "Patient", "extension": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    r = requests.post(f"{validator}/$validate", data=deep, headers=FHIR_JSON, timeout=TIMEOUT)
    assert r.status_code == 400 and "Traceback" not in r.text
    deep = b'{"resourceType": "Patient", "extension": ' + b"[" * 300 + b"]" * 300 + b"}"
    r = requests.post(f"{validator}/$validate", data=deep, headers=FHIR_JSON, timeout=TIMEOUT)
    assert r.status_code == 400 and "deeper" in r.text
    assert requests.get(f"{validator}/$validate", timeout=TIMEOUT).status_code == 405
    assert requests.get(f"{validator}/Patient/1", timeout=TIMEOUT).status_code == 404


def test_concurrent_requests(validator):
    good = fixture("r5", "imagingstudy-ct-chest.json")
    bad = dict(good, status="bogus")

    def one(n):
        body = good if n % 2 else bad
        r = requests.post(f"{validator}/$validate", json=body, headers=FHIR_JSON, timeout=30)
        return n, r.status_code, len(_errors(r.json()))

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(24)))
    assert all(status == 200 for _, status, _ in results)
    assert all((errors == 0) == bool(n % 2) for n, _, errors in results)


def test_page(validator):
    r = requests.get(validator + "/", timeout=TIMEOUT)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"] and "$validate" in r.text


def test_validate_on_the_fhir_server(r5_base):
    bad = selection("Patient/x")
    bad["status"] = "bogus"
    r = requests.post(f"{r5_base}/ImagingSelection/$validate", json=bad, headers=FHIR_JSON, timeout=TIMEOUT)
    assert r.status_code == 200 and _errors(r.json())
    r = requests.post(f"{r5_base}/ImagingSelection/$validate", json=patient(), headers=FHIR_JSON, timeout=TIMEOUT)
    assert r.status_code == 400  # wrong type for the endpoint
    r = requests.get(f"{r5_base}/ImagingSelection", timeout=TIMEOUT)
    assert r.json().get("total") == 0  # nothing was stored
    made = requests.post(f"{r5_base}/ImagingStudy", json=study("r5", "Patient/p", uid="2.25.77", series=2),
                         headers=FHIR_JSON, timeout=TIMEOUT).json()
    spanning = selection("Patient/p", "2.25.77", study_ref=f"ImagingStudy/{made['id']}")
    spanning["instance"].append({"uid": "2.25.77.2.1"})
    r = requests.post(f"{r5_base}/ImagingSelection/$validate", json=spanning, headers=FHIR_JSON, timeout=TIMEOUT)
    assert "imaging.single-series" in {i["details"]["coding"][0]["code"] for i in _errors(r.json())}
