"""Test data for the server tests, built from the bundled fixtures (copied, never written back)."""

from __future__ import annotations

import copy
import json

import requests

from tests.shared import VALID

TIMEOUT = 10
DIV = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>test</p></div>'}
DCM = "http://dicom.nema.org/resources/ontology/DCM"
FHIR_JSON = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}


def fixture(version: str, name: str) -> dict:
    return json.loads((VALID / version / name).read_text(encoding="utf-8"))


def patient(pid: str | None = None, family: str = "Mustermann", mrn: str = "0001",
            birth: str = "1964-08-12") -> dict:
    p = {"resourceType": "Patient", "text": DIV,
         "identifier": [{"system": "http://hospital.example.org/mrn", "value": mrn}],
         "name": [{"family": family, "given": ["Erika"]}], "gender": "female", "birthDate": birth}
    if pid:
        p["id"] = pid
    return p


def study(version: str, patient_ref: str, uid: str = "2.25.100", started: str = "2024-02-07T13:05:44+01:00",
          modality: str = "CT", series: int = 2, status: str = "available", sid: str | None = None) -> dict:
    s = {"resourceType": "ImagingStudy", "text": DIV, "status": status,
         "identifier": [{"system": "urn:dicom:uid", "value": f"urn:oid:{uid}"}],
         "subject": {"reference": patient_ref}, "started": started,
         "series": [{"uid": f"{uid}.{n}", "number": n,
                     "modality": ({"system": DCM, "code": modality} if version == "r4" else
                                  {"coding": [{"system": DCM, "code": modality}]}),
                     "instance": [{"uid": f"{uid}.{n}.{i}", "number": i,
                                   "sopClass": {"system": "urn:ietf:rfc:3986",
                                                "code": "urn:oid:1.2.840.10008.5.1.4.1.1.2"}}
                                  for i in (1, 2)]} for n in range(1, series + 1)]}
    if version == "r4":
        s["modality"] = [{"system": DCM, "code": modality}]
    else:
        s["modality"] = [{"coding": [{"system": DCM, "code": modality}]}]
    if sid:
        s["id"] = sid
    return s


def selection(patient_ref: str, study_uid: str = "2.25.100", series: int = 1, code: str = "113000",
              issued: str = "2024-02-07T14:00:00Z", study_ref: str | None = None) -> dict:
    s = {"resourceType": "ImagingSelection", "text": DIV, "status": "available",
         "subject": {"reference": patient_ref}, "issued": issued,
         "code": {"coding": [{"system": DCM, "code": code}]},
         "studyUid": study_uid, "seriesUid": f"{study_uid}.{series}",
         "instance": [{"uid": f"{study_uid}.{series}.1"}]}
    if study_ref:
        s["derivedFrom"] = [{"reference": study_ref}]
    return s


def create(base: str, resource: dict, headers: dict | None = None) -> requests.Response:
    r = requests.post(f"{base}/{resource['resourceType']}", json=resource,
                      headers={**FHIR_JSON, **(headers or {})}, timeout=TIMEOUT)
    return r


def created_id(base: str, resource: dict) -> str:
    r = create(base, resource)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def get(url: str, headers: dict | None = None, **params) -> requests.Response:
    return requests.get(url, params=params or None, headers={"Accept": "application/fhir+json", **(headers or {})},
                        timeout=TIMEOUT)


def ids(bundle: dict, mode: str = "match") -> set[str]:
    return {e["resource"]["id"] for e in bundle.get("entry", []) if e.get("search", {}).get("mode") == mode}


def copy_of(resource: dict) -> dict:
    return copy.deepcopy(resource)
