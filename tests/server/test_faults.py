"""Every fault: the scenario holds on the conformant server and fails on the server with that fault.

Each scenario returns True when the server behaved conformantly. Scenarios make their own data
(unique tags and uids), so they share one conformant server (the r5_base fixture).
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from harness.server.embedded import running
from harness.server.faults import FAULTS
from tests.server.data import TIMEOUT, create, created_id, get, ids, patient, selection, study

SCENARIOS = {}


def scenario(name):
    def register(fn):
        SCENARIOS[name] = fn
        return fn
    return register


def tagged(resource, tag):
    resource["meta"] = {"tag": [{"system": "urn:test:fault", "code": tag}]}
    return resource


def walk_pages(url, limit=10):
    seen, pages = [], 0
    while url and pages < limit:
        b = get(url).json()
        seen += [e["resource"]["id"] for e in b.get("entry", [])]
        url = next((l["url"] for l in b["link"] if l["relation"] == "next"), None)
        pages += 1
    return seen, pages


def three_tagged(base):
    tag = uuid.uuid4().hex
    made = [created_id(base, tagged(patient(mrn=str(i)), tag)) for i in range(3)]
    return tag, made


@scenario("accept-invalid")
def _(base):
    bad = patient()
    bad["gender"] = "bogus"
    return create(base, bad).status_code == 422


@scenario("drop-single-series")
def _(base):
    uid = f"2.25.{uuid.uuid4().int % 10**20}"
    created_id(base, study("r5", "Patient/p", uid=uid, series=2))
    sid = created_id(base, selection("Patient/p", uid, series=1))
    sel = get(f"{base}/ImagingSelection/{sid}").json()
    return all(i["uid"].startswith(sel["seriesUid"] + ".") for i in sel["instance"])


@scenario("ignore-modifier-not")
def _(base):
    tag = uuid.uuid4().hex
    created_id(base, tagged(study("r5", "Patient/p", status="available"), tag))
    keep = created_id(base, tagged(study("r5", "Patient/p", status="registered"), tag))
    found = get(f"{base}/ImagingStudy", **{"_tag": f"urn:test:fault|{tag}", "status:not": "available"}).json()
    return ids(found) == {keep}


@scenario("ignore-unknown-strict")
def _(base):
    return get(f"{base}/Patient?bogus-param=1", {"Prefer": "handling=strict"}).status_code == 400


@scenario("wrong-total")
def _(base):
    tag, made = three_tagged(base)
    return get(f"{base}/Patient", _tag=f"urn:test:fault|{tag}").json()["total"] == 3


@scenario("drop-last-page")
def _(base):
    tag, made = three_tagged(base)
    seen, _ = walk_pages(f"{base}/Patient?_tag=urn:test:fault|{tag}&_count=1")
    return sorted(seen) == sorted(made)


@scenario("broken-paging")
def _(base):
    tag, made = three_tagged(base)
    seen, pages = walk_pages(f"{base}/Patient?_tag=urn:test:fault|{tag}&_count=2")
    return pages == 2 and sorted(seen) == sorted(made)


@scenario("duplicate-across-pages")
def _(base):
    tag, made = three_tagged(base)
    seen, _ = walk_pages(f"{base}/Patient?_tag=urn:test:fault|{tag}&_count=2")
    return len(seen) == len(set(seen)) == 3


@scenario("no-location-header")
def _(base):
    r = create(base, patient())
    return r.status_code == 201 and r.headers.get("Location", "").startswith(f"{base}/Patient/")


@scenario("wrong-content-type")
def _(base):
    return get(f"{base}/metadata").headers["content-type"].startswith("application/fhir+json")


@scenario("ignore-include")
def _(base):
    pid = created_id(base, patient())
    sid = created_id(base, study("r5", f"Patient/{pid}"))
    b = get(f"{base}/ImagingStudy", _id=sid, _include="ImagingStudy:subject").json()
    return ids(b, "include") == {pid}


@scenario("date-precision")
def _(base):
    tag = uuid.uuid4().hex
    sid = created_id(base, tagged(study("r5", "Patient/p", started="2024-02-07T13:05:44+01:00"), tag))
    return ids(get(f"{base}/ImagingStudy", _tag=f"urn:test:fault|{tag}", started="2024-02").json()) == {sid}


@scenario("no-etag")
def _(base):
    pid = created_id(base, patient())
    return get(f"{base}/Patient/{pid}").headers.get("ETag") == 'W/"1"'


@scenario("delete-not-gone")
def _(base):
    pid = created_id(base, patient())
    requests.delete(f"{base}/Patient/{pid}", timeout=TIMEOUT)
    return get(f"{base}/Patient/{pid}").status_code == 410


@scenario("capability-lies")
def _(base):
    """Every parameter the CapabilityStatement claims is accepted under handling=strict."""
    cs = get(f"{base}/metadata").json()
    patient_res = next(r for r in cs["rest"][0]["resource"] if r["type"] == "Patient")
    for p in patient_res["searchParam"]:
        value = {"date": "2020", "number": "1", "quantity": "1", "reference": "x"}.get(p["type"], "x")
        if get(f"{base}/Patient?{p['name']}={value}", {"Prefer": "handling=strict"}).status_code != 200:
            return False
    return True


@scenario("token-ignores-system")
def _(base):
    tag = uuid.uuid4().hex
    created_id(base, tagged(patient(mrn="T-1"), tag))
    return ids(get(f"{base}/Patient", _tag=f"urn:test:fault|{tag}", identifier="urn:other|T-1").json()) == set()


@scenario("date-prefix-off-by-one")
def _(base):
    tag = uuid.uuid4().hex
    created_id(base, tagged(study("r5", "Patient/p", started="2024-02-07T13:05:44Z"), tag))
    found = get(f"{base}/ImagingStudy", _tag=f"urn:test:fault|{tag}", started="gt2024-02-07T13:05:44Z").json()
    return ids(found) == set()


@scenario("reference-type-ignored")
def _(base):
    pid = created_id(base, patient())
    created_id(base, study("r5", f"Patient/{pid}"))
    return ids(get(f"{base}/ImagingStudy", subject=f"Device/{pid}").json()) == set()


@scenario("sort-reversed")
def _(base):
    tag = uuid.uuid4().hex
    early = created_id(base, tagged(study("r5", "Patient/p", started="2001-01-01"), tag))
    late = created_id(base, tagged(study("r5", "Patient/p", started="2002-01-01"), tag))
    b = get(f"{base}/ImagingStudy", _tag=f"urn:test:fault|{tag}", _sort="started").json()
    return [e["resource"]["id"] for e in b["entry"]] == [early, late]


@scenario("status-500-on-search")
def _(base):
    return get(f"{base}/Patient", _count="1").status_code == 200


@scenario("malformed-json")
def _(base):
    try:
        get(f"{base}/Patient", _count="1").json()
        return True
    except ValueError:
        return False


@scenario("slow-responses")
def _(base):
    t = time.monotonic()
    get(f"{base}/metadata")
    return time.monotonic() - t < 0.4


@scenario("no-body-on-create")
def _(base):
    r = create(base, patient(), {"Prefer": "return=representation"})
    return r.status_code == 201 and bool(r.content) and r.json().get("resourceType") == "Patient"


@scenario("update-create-200")
def _(base):
    body = dict(patient(), id=f"new-{uuid.uuid4().hex}")
    r = requests.put(f"{base}/Patient/{body['id']}", json=body, timeout=TIMEOUT,
                     headers={"Content-Type": "application/fhir+json"})
    return r.status_code == 201 and get(f"{base}/Patient/{body['id']}").status_code == 200


def test_every_fault_has_a_scenario():
    assert set(SCENARIOS) == set(FAULTS)


def test_the_listed_cases_are_the_engine_test_expectations():
    from harness.server.faults import CASES, NOT_CONFORMANCE
    from tests.engine.test_faults import EXPECTED
    assert {k: set(v) for k, v in CASES.items()} == EXPECTED
    assert set(CASES) | NOT_CONFORMANCE == set(FAULTS)


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_is_observable(name, r5_base):
    check = SCENARIOS[name]
    assert check(r5_base), f"{name}: the conformant server fails the scenario"
    with running("r5", faults=[name]) as faulty:
        assert not check(faulty), f"{name}: the fault is not observable"


def test_unknown_fault_is_refused():
    with pytest.raises(ValueError):
        with running("r5", faults=["no-such-fault"]):
            pass
