"""Batch and transaction Bundles: urn:uuid resolution, reference rewriting, all-or-nothing."""

from __future__ import annotations

import requests

from tests.server.data import FHIR_JSON, TIMEOUT, fixture, get, ids, patient, selection, study


def post(r5_base, bundle):
    return requests.post(r5_base, json=bundle, headers=FHIR_JSON, timeout=TIMEOUT)


def test_the_fixture_transaction_resolves_urn_uuids(r5_base):
    bundle = fixture("r5", "bundle-transaction-ct-chest.json")
    r = post(r5_base, bundle)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["type"] == "transaction-response" and len(out["entry"]) == len(bundle["entry"])
    assert all(e["response"]["status"].startswith(("200", "201")) for e in out["entry"])
    by_type = {e["resource"]["resourceType"]: e["resource"] for e in out["entry"]}
    pid = by_type["Patient"]["id"]
    assert by_type["ImagingStudy"]["subject"]["reference"] == f"Patient/{pid}"
    stored = get(f"{r5_base}/ImagingStudy/{by_type['ImagingStudy']['id']}").json()
    assert not any("urn:uuid" in str(v) for v in stored.values())
    assert ids(get(f"{r5_base}/ImagingStudy", subject=f"Patient/{pid}").json()) == {by_type["ImagingStudy"]["id"]}


def _txn(*entries):
    return {"resourceType": "Bundle", "type": "transaction", "entry": list(entries)}


def test_transaction_is_all_or_nothing(r5_base):
    bad = selection("urn:uuid:00000000-0000-4000-8000-000000000001")
    bad["status"] = "bogus"
    bundle = _txn(
        {"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000001", "resource": patient(family="Rollback"),
         "request": {"method": "POST", "url": "Patient"}},
        {"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000002", "resource": bad,
         "request": {"method": "POST", "url": "ImagingSelection"}})
    r = post(r5_base, bundle)
    assert r.status_code == 422 and r.json()["resourceType"] == "OperationOutcome"
    assert "entry[1]" in r.json()["issue"][0]["diagnostics"]
    assert ids(get(f"{r5_base}/Patient", family="Rollback").json()) == set()


def test_transaction_order_put_with_urn_and_conditional_create(r5_base):
    s = study("r5", "urn:uuid:00000000-0000-4000-8000-00000000000a")
    bundle = _txn(
        {"fullUrl": "urn:uuid:00000000-0000-4000-8000-0000000000bb", "resource": s,
         "request": {"method": "POST", "url": "ImagingStudy"}},
        {"fullUrl": "urn:uuid:00000000-0000-4000-8000-00000000000a", "resource": patient("pat-put", mrn="P-1"),
         "request": {"method": "PUT", "url": "Patient/pat-put"}})
    r = post(r5_base, bundle)
    assert r.status_code == 200, r.text
    assert r.json()["entry"][0]["resource"]["subject"]["reference"] == "Patient/pat-put"
    cond = _txn({"fullUrl": "urn:uuid:00000000-0000-4000-8000-0000000000cc", "resource": patient(mrn="P-1"),
                 "request": {"method": "POST", "url": "Patient",
                             "ifNoneExist": "identifier=http://hospital.example.org/mrn|P-1"}})
    r = post(r5_base, cond)
    assert r.status_code == 200 and r.json()["entry"][0]["response"]["status"].startswith("200")
    assert r.json()["entry"][0]["resource"]["id"] == "pat-put"


def test_batch_entries_are_independent(r5_base):
    bad = patient()
    bad["gender"] = "bogus"
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": patient(family="Batchy"), "request": {"method": "POST", "url": "Patient"}},
        {"resource": bad, "request": {"method": "POST", "url": "Patient"}},
        {"request": {"method": "GET", "url": "Patient?family=Batchy"}},
        {"request": {"method": "GET", "url": "Patient/nope"}}]}
    r = post(r5_base, bundle)
    assert r.status_code == 200
    statuses = [e["response"]["status"][:3] for e in r.json()["entry"]]
    assert statuses == ["201", "422", "200", "404"]
    assert r.json()["entry"][1]["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert r.json()["entry"][2]["resource"]["total"] == 1


def test_bad_bundles_are_400(r5_base):
    assert post(r5_base, {"resourceType": "Bundle", "type": "collection"}).status_code == 400
    assert post(r5_base, _txn({"resource": patient()})).status_code == 400
    assert post(r5_base, patient()).status_code == 400


def test_a_conditional_reference_is_accepted_in_a_transaction_only(r5_base):
    """http.html: 'in a transaction (and only in a transaction), references to resources may be replaced
    by a search URI'. The fixture transaction carries one (ImagingStudy.referrer) and is accepted above;
    the same study POSTed on its own is refused, and in a transaction a malformed query is refused."""
    s = study("r5", "Patient?identifier=http://hospital.example.org/mrn|000471101")
    r = requests.post(f"{r5_base}/ImagingStudy", json=s, headers=FHIR_JSON, timeout=TIMEOUT)
    assert r.status_code == 422, r.text
    assert "conditional reference" in r.text
    s = study("r5", "Patient?identifier=1234&?==")
    r = post(r5_base, _txn({"fullUrl": "urn:uuid:00000000-0000-4000-8000-0000000000c1", "resource": s,
                         "request": {"method": "POST", "url": "ImagingStudy"}}))
    assert r.status_code == 422 and "not a valid search query" in r.text
