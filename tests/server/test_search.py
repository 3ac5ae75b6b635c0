"""Search over real HTTP: every parameter type, the modifiers, OR/AND, chaining, sorting, includes."""

from __future__ import annotations

import pytest
import requests

from harness.server.embedded import running
from tests.server.data import DCM, TIMEOUT, created_id, get, ids, patient, selection, study


@pytest.fixture(scope="module")
def env():
    with running("r5") as base:
        d = {"base": base}
        d["p1"] = created_id(base, patient(family="Müller", mrn="1001", birth="1960-01-01"))
        d["p2"] = created_id(base, patient(family="Mustermann", mrn="1002", birth="1970-05-05"))
        d["s1"] = created_id(base, study("r5", f"Patient/{d['p1']}", uid="2.25.1",
                                         started="2024-02-07T13:05:44+01:00"))
        d["s2"] = created_id(base, study("r5", f"Patient/{d['p2']}", uid="2.25.2", started="2023-10-02",
                                         modality="MR"))
        s3 = study("r5", f"Patient/{d['p1']}", uid="2.25.3", started="2024-02", status="registered")
        s3["meta"] = {"tag": [{"system": "urn:test:tag", "code": "t1"}],
                      "profile": ["http://example.org/fhir/StructureDefinition/imaging/ct"]}
        d["s3"] = created_id(base, s3)
        d["sel1"] = created_id(base, selection(f"Patient/{d['p1']}", "2.25.1", study_ref=f"ImagingStudy/{d['s1']}"))
        sel2 = selection(f"Patient/{d['p2']}", "2.25.2", code="113001", issued="2023-10-02T09:30:00Z",
                         study_ref=f"ImagingStudy/{d['s2']}")
        sel2["basedOn"] = [{"identifier": {"system": "urn:acc", "value": "A-77"}}]
        d["sel2"] = created_id(base, sel2)
        sel3 = selection(f"Patient/{d['p1']}", "2.25.3", code="113000", issued="2024-03-01T08:00:00Z")
        sel3["code"] = {"coding": [{"system": "http://example.org/other", "code": "113000"}]}
        d["sel3"] = created_id(base, sel3)
        yield d


def search(env, rtype, headers=None, **params):
    r = get(f"{env['base']}/{rtype}", headers, **params)
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["resourceType"] == "Bundle" and b["type"] == "searchset"
    return b


def found(env, rtype, **params):
    return ids(search(env, rtype, **params))


def test_token_forms(env):
    e = env
    assert found(e, "ImagingSelection", code=f"{DCM}|113000") == {e["sel1"]}
    assert found(e, "ImagingSelection", code="113000") == {e["sel1"], e["sel3"]}
    assert found(e, "ImagingSelection", code="|113000") == set()
    assert found(e, "ImagingSelection", code=f"{DCM}|") == {e["sel1"], e["sel2"]}
    assert found(e, "ImagingSelection", status="available") == {e["sel1"], e["sel2"], e["sel3"]}
    assert found(e, "ImagingStudy", modality=f"{DCM}|MR") == {e["s2"]}
    assert found(e, "ImagingStudy", series="2.25.1.2") == {e["s1"]}
    assert found(e, "ImagingStudy", identifier="urn:dicom:uid|urn:oid:2.25.2") == {e["s2"]}
    assert found(e, "ImagingSelection", **{"study-uid": "2.25.3"}) == {e["sel3"]}


def test_token_not_and_missing(env):
    e = env
    assert found(e, "ImagingStudy", **{"status:not": "available"}) == {e["s3"]}
    assert found(e, "ImagingSelection", **{"code:not": f"{DCM}|113000"}) == {e["sel2"], e["sel3"]}
    assert found(e, "ImagingSelection", **{"derived-from:missing": "true"}) == {e["sel3"]}
    assert found(e, "ImagingSelection", **{"derived-from:missing": "false"}) == {e["sel1"], e["sel2"]}


def test_or_and_and(env):
    e = env
    assert found(e, "ImagingStudy", modality="MR,CT") == {e["s1"], e["s2"], e["s3"]}
    r = get(f"{e['base']}/ImagingStudy?modality=CT&status=available")
    assert ids(r.json()) == {e["s1"]}
    r = get(f"{e['base']}/ImagingStudy?started=ge2024-01-01&started=lt2024-02-07")
    assert ids(r.json()) == {e["s3"]}


def test_reference_forms(env):
    e, p1 = env, env["p1"]
    both = {e["sel1"], e["sel3"]}
    assert found(e, "ImagingSelection", subject=f"Patient/{p1}") == both
    assert found(e, "ImagingSelection", subject=p1) == both
    assert found(e, "ImagingSelection", subject=f"{e['base']}/Patient/{p1}") == both
    assert found(e, "ImagingSelection", **{"subject:Patient": p1}) == both
    assert found(e, "ImagingSelection", **{"subject:Device": p1}) == set()
    assert found(e, "ImagingSelection", subject=f"Device/{p1}") == set()
    assert found(e, "ImagingSelection", patient=p1) == both
    assert found(e, "ImagingSelection", **{"derived-from": f"ImagingStudy/{e['s2']}"}) == {e["sel2"]}
    assert found(e, "ImagingSelection", **{"based-on:identifier": "urn:acc|A-77"}) == {e["sel2"]}
    assert found(e, "ImagingSelection", **{"based-on:identifier": "urn:other|A-77"}) == set()


def test_chaining(env):
    e = env
    assert found(e, "ImagingSelection", **{"patient.identifier": "http://hospital.example.org/mrn|1002"}) == {e["sel2"]}
    assert found(e, "ImagingStudy", **{"subject:Patient.name": "muller"}) == {e["s1"], e["s3"]}
    assert found(e, "ImagingSelection", **{"derived-from.modality": "MR"}) == {e["sel2"]}


def test_date_prefixes_and_precision(env):
    e = env
    s = lambda v: found(e, "ImagingStudy", started=v)  # noqa: E731
    assert s("2024-02-07") == {e["s1"]}
    assert s("2024-02") == {e["s1"], e["s3"]}  # the month contains the instant and the month
    assert s("2024") == {e["s1"], e["s3"]}
    assert s("eq2024-02-07T12:05:44Z") == {e["s1"]}  # the same instant in UTC
    assert s("gt2024-01-31") == {e["s1"], e["s3"]}
    assert s("lt2024-01-01") == {e["s2"]}
    assert s("ge2024-02-07") == {e["s1"], e["s3"]}  # s3's month reaches past the day
    assert s("le2023-10-02") == {e["s2"]}
    assert s("sa2023-12-31") == {e["s1"], e["s3"]}
    assert s("eb2024-02-01") == {e["s2"]}
    assert s("ne2024-02-07") == {e["s2"], e["s3"]}
    assert e["s2"] in s("ap2023-10-05")
    assert s("2023-10-02T00:00") == set()  # a minute is narrower than the day stored
    i = lambda v: found(e, "ImagingSelection", issued=v)  # noqa: E731
    assert i("2024-03-01") == {e["sel3"]}
    assert i("ge2024-02-07T14:00:00Z") == {e["sel1"], e["sel3"]}
    r = get(f"{e['base']}/ImagingStudy?started=2024-13-45")
    assert r.status_code == 400 and r.json()["resourceType"] == "OperationOutcome"


def test_string_modifiers(env):
    e = env
    assert found(e, "Patient", family="mul") == {e["p1"]}  # case and accent insensitive, starts-with
    assert found(e, "Patient", family="Mu") == {e["p1"], e["p2"]}
    assert found(e, "Patient", **{"family:exact": "Müller"}) == {e["p1"]}
    assert found(e, "Patient", **{"family:exact": "muller"}) == set()
    assert found(e, "Patient", **{"family:contains": "ERMA"}) == {e["p2"]}
    assert found(e, "Patient", name="erika") == {e["p1"], e["p2"]}


def test_uri_and_resource_level_parameters(env):
    e = env
    assert found(e, "ImagingStudy", _profile="http://example.org/fhir/StructureDefinition/imaging/ct") == {e["s3"]}
    assert found(e, "ImagingStudy", **{"_profile:below": "http://example.org/fhir/StructureDefinition"}) == {e["s3"]}
    assert found(e, "ImagingStudy", **{"_profile:below": "http://example.org/fhir/Struct"}) == set()
    assert found(e, "ImagingStudy", _tag="urn:test:tag|t1") == {e["s3"]}
    assert found(e, "ImagingStudy", _id=f"{e['s1']},{e['s2']}") == {e["s1"], e["s2"]}
    assert found(e, "ImagingStudy", _lastUpdated="gt2000-01-01") == {e["s1"], e["s2"], e["s3"]}
    assert found(e, "ImagingStudy", _lastUpdated="lt2000-01-01") == set()


def test_time_zone_plus_sent_unencoded(env):
    r = get(f"{env['base']}/ImagingStudy?started=2024-02-07T13:05:44+01:00")  # '+' decodes to ' '
    assert ids(r.json()) == {env["s1"]}


def test_quantity_and_number(env):
    base = env["base"]

    def obs(value, unit="mg", patient=env["p1"]):
        return {"resourceType": "Observation", "text": {"status": "generated", "div":
                '<div xmlns="http://www.w3.org/1999/xhtml"><p>obs</p></div>'}, "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "1234-5"}]},
                "subject": {"reference": f"Patient/{patient}"},
                "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org",
                                  "code": unit}}
    o1, o2 = created_id(base, obs(5.4)), created_id(base, obs(100, "g"))
    q = lambda v: found(env, "Observation", **{"value-quantity": v})  # noqa: E731
    assert q("5.4") == {o1}
    assert q("5") == {o1}  # 5 means [4.5, 5.5): the precision of the search value
    assert q("5.40") == {o1}
    assert q("gt6") == {o2}
    assert q("le5.4|http://unitsofmeasure.org|mg") == {o1}
    assert q("100||g") == {o2}
    assert q("100|http://unitsofmeasure.org|mg") == set()


def test_sort(env):
    e = env
    b = search(e, "ImagingStudy", _sort="started")
    assert [x["resource"]["id"] for x in b["entry"]] == [e["s2"], e["s3"], e["s1"]]
    b = search(e, "ImagingStudy", _sort="-started")  # descending sorts by the end of each range:
    assert [x["resource"]["id"] for x in b["entry"]] == [e["s3"], e["s1"], e["s2"]]  # all of 2024-02 last
    b = search(e, "ImagingSelection", _sort="-issued")
    assert [x["resource"]["id"] for x in b["entry"]] == [e["sel3"], e["sel1"], e["sel2"]]


def test_include_and_revinclude(env):
    e = env
    b = search(e, "ImagingSelection", _id=e["sel1"], _include="ImagingSelection:subject")
    assert ids(b) == {e["sel1"]} and ids(b, "include") == {e["p1"]}
    b = search(e, "ImagingSelection", _id=e["sel1"], _include="ImagingSelection:subject:Device")
    assert ids(b, "include") == set()
    b = search(e, "ImagingStudy", _id=e["s1"], _revinclude="ImagingSelection:derived-from")
    assert ids(b) == {e["s1"]} and ids(b, "include") == {e["sel1"]}
    r = get(f"{e['base']}/ImagingSelection?_id={e['sel2']}&_include=ImagingSelection:derived-from"
            f"&_include:iterate=ImagingStudy:subject")
    assert ids(r.json(), "include") == {e["s2"], e["p2"]}
    assert b["total"] == 1  # included resources are not counted


def test_summary_count_and_total(env):
    e = env
    b = search(e, "ImagingStudy", _summary="count")
    assert b["total"] == 3 and "entry" not in b
    b = search(e, "ImagingStudy", _total="none")
    assert "total" not in b and len(b["entry"]) == 3


def test_paging_is_stable(env):
    e = env
    b = search(e, "ImagingSelection", _count="2", _sort="issued")
    assert b["total"] == 3 and len(b["entry"]) == 2
    links = {l["relation"]: l["url"] for l in b["link"]}
    assert {"self", "first", "next", "last"} <= set(links) and "previous" not in links
    extra = created_id(e["base"], selection(f"Patient/{e['p2']}", "2.25.9", issued="2020-01-01T00:00:00Z"))
    page2 = get(links["next"]).json()  # the new (earliest) selection does not shift the pages
    assert [x["resource"]["id"] for x in page2["entry"]] == [e["sel3"]]
    links2 = {l["relation"]: l["url"] for l in page2["link"]}
    assert "next" not in links2 and "previous" in links2
    assert [x["resource"]["id"] for x in get(links2["previous"]).json()["entry"]] == [e["sel2"], e["sel1"]]
    requests.delete(f"{e['base']}/ImagingSelection/{extra}", timeout=TIMEOUT)
    assert get(f"{e['base']}?_getpages=nope").status_code == 404


def test_post_search(env):
    e = env
    r = requests.post(f"{e['base']}/ImagingStudy/_search", data={"modality": "MR"},
                      headers={"Accept": "application/fhir+json"}, timeout=TIMEOUT)
    assert r.status_code == 200 and ids(r.json()) == {e["s2"]}


def test_strict_and_lenient_handling(env):
    e = env
    r = get(f"{e['base']}/ImagingStudy?modality=MR&unknown-param=1", {"Prefer": "handling=strict"})
    assert r.status_code == 400 and r.json()["resourceType"] == "OperationOutcome"
    r = get(f"{e['base']}/ImagingStudy?modality=MR&status:text=x", {"Prefer": "handling=strict"})
    assert r.status_code == 400  # unsupported modifier
    b = search(e, "ImagingStudy", {"Prefer": "handling=lenient"}, modality="MR", **{"unknown-param": "1"})
    assert ids(b) == {e["s2"]}
    self_link = next(l["url"] for l in b["link"] if l["relation"] == "self")
    assert "modality=MR" in self_link and "unknown-param" not in self_link
    b = search(e, "ImagingStudy", modality="MR", **{"unknown-param": "1"})  # lenient is the default
    assert ids(b) == {e["s2"]}


def test_summary_and_elements(env):
    e = env
    subsetted = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"}
    b = search(e, "ImagingStudy", _id=e["s1"], _elements="modality")
    res = b["entry"][0]["resource"]
    assert set(res) == {"resourceType", "id", "meta", "modality", "status", "subject"}  # + mandatory
    assert subsetted in res["meta"]["tag"]
    res = search(e, "ImagingStudy", _id=e["s1"], _summary="true")["entry"][0]["resource"]
    assert "text" not in res and {"status", "subject", "series", "started"} <= set(res)
    assert "uid" in res["series"][0] and "instance" not in res["series"][0]  # series.instance is not summary
    res = search(e, "ImagingStudy", _id=e["s1"], _summary="text")["entry"][0]["resource"]
    assert set(res) == {"resourceType", "id", "meta", "text", "status", "subject"}
    res = search(e, "ImagingStudy", _id=e["s1"], _summary="data")["entry"][0]["resource"]
    assert "text" not in res and "series" in res
    r = get(f"{e['base']}/ImagingStudy/{e['s1']}", _elements="identifier")
    assert set(r.json()) == {"resourceType", "id", "meta", "identifier", "status", "subject"}
    full = get(f"{e['base']}/ImagingStudy/{e['s1']}").json()
    assert "text" in full and subsetted not in (full["meta"].get("tag") or [])
