"""Write the engine's imaging datasets, fixtures/datasets/<family>/, and the negative resources,
fixtures/negative/<family>/, from the tables below (deterministic: run twice → same bytes); the
families are the version table's run.fixtures (harness/definitions/versions.json).

One coherent story per family: three patients, a radiologist, an order, a DICOMweb endpoint,
four multi-series studies with instances (valid DICOM UIDs) and, in R5, selections derived from the
studies whose instances all belong to one series of the study they derive from.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _version_table import version_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1] / "fixtures"
UID_ROOT = "1.2.826.0.1.3680043.8.498"
DCM = "http://dicom.nema.org/resources/ontology/DCM"
SOP = {"CT": "1.2.840.10008.5.1.4.1.1.2", "MR": "1.2.840.10008.5.1.4.1.1.4", "DX": "1.2.840.10008.5.1.4.1.1.1.1"}
MOD_DISPLAY = {"CT": "Computed Tomography", "MR": "Magnetic Resonance", "DX": "Digital Radiography"}

PATIENTS = [
    ("patient-anna", "Berger", "Anna", "female", "1961-04-12"),
    ("patient-bert", "Okafor", "Bert", "male", "1975-09-30"),
    ("patient-chen", "Chen", "Li", "female", "1988-01-22"),
]
# name, patient, study number, modality, started, description, [(series number, description, n instances)]
STUDIES = [
    ("study-ct-chest", "patient-anna", 7101, "CT", "2024-02-07T13:05:44+01:00", "CT chest with contrast",
     [(2, "Axial 1.25mm lung", 3), (3, "Axial 3mm mediastinum", 2)]),
    ("study-ct-abdomen", "patient-anna", 7102, "CT", "2023-06-19T08:30:00+02:00", "CT abdomen",
     [(1, "Axial 5mm", 2), (4, "Coronal MPR", 1)]),
    ("study-mr-brain", "patient-bert", 7201, "MR", "2024-03-15T10:12:00+01:00", "MR brain without contrast",
     [(1, "T1 sagittal", 2), (2, "T2 axial", 3), (3, "FLAIR axial", 2)]),
    ("study-dx-chest", "patient-chen", 7301, "DX", "2022-11-02T16:45:10+01:00", "Chest X-ray PA and lateral",
     [(1, "PA", 1), (2, "Lateral", 1)]),
]
# name, study, series number, instance numbers, code, description
SELECTIONS = [
    ("selection-ct-keyimages", "study-ct-chest", 2, [1, 3], "113000", "Of Interest"),
    ("selection-mr-flair", "study-mr-brain", 3, [2], "113000", "Of Interest"),
]


def study_uid(n: int) -> str:
    return f"{UID_ROOT}.{n}"


def narrative(text: str) -> dict:
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{text}</p></div>'}


def patient(name, family, given, gender, birth):
    return {"resourceType": "Patient", "id": name, "text": narrative(f"{given} {family}, {gender}, born {birth}"),
            "identifier": [{"system": "http://hospital.example.org/mrn", "value": f"MRN-{name.split('-')[1].upper()}"}],
            "active": True, "name": [{"family": family, "given": [given]}], "gender": gender, "birthDate": birth}


def practitioner():
    return {"resourceType": "Practitioner", "id": "practitioner-rad", "text": narrative("Dr. Maria Rossi, radiologist"),
            "identifier": [{"system": "http://hospital.example.org/staff", "value": "RAD-1002"}],
            "active": True, "name": [{"family": "Rossi", "given": ["Maria"], "prefix": ["Dr."]}]}


def service_request(version):
    code = {"text": "CT chest with contrast"}
    return {"resourceType": "ServiceRequest", "id": "servicerequest-ct-chest",
            "text": narrative("Order: CT chest with contrast for Anna Berger"),
            "status": "completed", "intent": "order",
            "code": {"concept": code} if version == "r5" else code,
            "subject": {"reference": "Patient/patient-anna"},
            "requester": {"reference": "Practitioner/practitioner-rad"}}


def endpoint(version):
    e = {"resourceType": "Endpoint", "id": "endpoint-wado", "text": narrative("PACS DICOMweb WADO-RS: https://pacs.example.org/dicomweb"),
         "status": "active", "name": "PACS DICOMweb", "address": "https://pacs.example.org/dicomweb"}
    conn = {"system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type", "code": "dicom-wado-rs"}
    payload = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/endpoint-payload-type", "code": "DICOM"}]}
    if version == "r5":
        e["connectionType"] = [{"coding": [conn]}]
        e["payload"] = [{"type": [payload], "mimeType": ["application/dicom"]}]
    else:
        e["connectionType"] = conn
        e["payloadType"] = [payload]
        e["payloadMimeType"] = ["application/dicom"]
    order = ["resourceType", "id", "text", "status", "connectionType", "name", "payload", "payloadType",
             "payloadMimeType", "address"]
    return {k: e[k] for k in order if k in e}


def study(version, name, pat, num, mod, started, desc, series):
    uid = study_uid(num)
    coding = {"system": DCM, "code": mod, "display": MOD_DISPLAY[mod]}
    n_inst = sum(s[2] for s in series)
    out = {"resourceType": "ImagingStudy", "id": name,
           "text": narrative(f"{desc}: {len(series)} series, {n_inst} instances"),
           "identifier": [{"system": "urn:dicom:uid", "value": f"urn:oid:{uid}"}],
           "status": "available",
           "modality": [{"coding": [coding]}] if version == "r5" else [coding],
           "subject": {"reference": f"Patient/{pat}"},
           "started": started}
    if name == "study-ct-chest":
        out["basedOn"] = [{"reference": "ServiceRequest/servicerequest-ct-chest"}]
        out["referrer"] = {"reference": "Practitioner/practitioner-rad"}
    out["endpoint"] = [{"reference": "Endpoint/endpoint-wado"}]
    out["numberOfSeries"] = len(series)
    out["numberOfInstances"] = n_inst
    out["description"] = desc
    out["series"] = []
    for number, sdesc, count in series:
        suid = f"{uid}.{number}"
        out["series"].append({
            "uid": suid, "number": number,
            "modality": {"coding": [coding]} if version == "r5" else coding,
            "description": sdesc, "numberOfInstances": count,
            "started": started,
            "instance": [{"uid": f"{suid}.{i}",
                          "sopClass": {"system": "urn:ietf:rfc:3986", "code": f"urn:oid:{SOP[mod]}"},
                          "number": i} for i in range(1, count + 1)]})
    return out


def selection(name, study_name, series_number, instances, code, display):
    s = next(s for s in STUDIES if s[0] == study_name)
    uid = study_uid(s[2])
    return {"resourceType": "ImagingSelection", "id": name,
            "text": narrative(f"{display}: series {series_number} of {s[5]}, instances {', '.join(map(str, instances))}"),
            "identifier": [{"system": "urn:dicom:uid", "value": f"urn:oid:{uid}.{series_number}.900"}],
            "status": "available",
            "subject": {"reference": f"Patient/{s[1]}"},
            "issued": "2024-04-01T09:00:00Z",
            "code": {"coding": [{"system": DCM, "code": code, "display": display}]},
            "studyUid": uid,
            "derivedFrom": [{"reference": f"ImagingStudy/{study_name}"}],
            "endpoint": [{"reference": "Endpoint/endpoint-wado"}],
            "seriesUid": f"{uid}.{series_number}",
            "seriesNumber": series_number,
            "instance": [{"uid": f"{uid}.{series_number}.{i}", "number": i,
                          "sopClass": {"system": "urn:ietf:rfc:3986", "code": f"urn:oid:{SOP[s[3]]}"}}
                         for i in instances]}


def negatives(version):
    base = study(version, *STUDIES[0])
    bad_status = json.loads(json.dumps(base))
    bad_status["status"] = "finished-ish"  # not in the required ImagingStudyStatus value set
    no_series_uid = json.loads(json.dumps(base))
    del no_series_uid["series"][0]["uid"]  # series.uid is 1..1
    out = {"invalid-study-status": bad_status, "invalid-study-series-uid": no_series_uid}
    if version == "r5":
        sel = selection(*SELECTIONS[0])
        sel["status"] = "done"  # ImagingSelectionStatus is required: available | entered-in-error | unknown
        out["invalid-selection-status"] = sel
        nocode = selection(*SELECTIONS[0])
        del nocode["code"]  # code is 1..1
        out["invalid-selection-no-code"] = nocode
    return out


def build(version: str) -> dict[str, dict]:
    res = {p[0]: patient(*p) for p in PATIENTS}
    res["practitioner-rad"] = practitioner()
    res["servicerequest-ct-chest"] = service_request(version)
    res["endpoint-wado"] = endpoint(version)
    for s in STUDIES:
        res[s[0]] = study(version, *s)
    if version == "r5":
        for s in SELECTIONS:
            res[s[0]] = selection(*s)
    return res


def write(folder: Path, resources: dict[str, dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    for name, r in resources.items():
        (folder / f"{name}.json").write_text(json.dumps(r, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    for v in dict.fromkeys(r.run["fixtures"] for r in version_table().rows() if r.run):  # the families
        write(ROOT / "datasets" / v, build(v))
        write(ROOT / "negative" / v, negatives(v))


if __name__ == "__main__":
    main()
