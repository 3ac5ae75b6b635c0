"""A seeded generator of realistic, valid imaging resources for the benchmarks.

    from corpus import r4_studies, r5_imaging
    r4_studies(2000, seed=11)   # R4 ImagingStudy
    r5_imaging(2000, seed=11)   # R5 ImagingStudy, each followed by 0-2 ImagingSelections of its series

Same seed → same resources (random.Random(seed), no clock, no uuid). Studies vary in size (1-4 series,
1-30 instances each, mixed modalities and SOP classes, a narrative on most); every UID is a valid
DICOM UID (digits and dots, no leading zero in a component, at most 64 characters) and unique in the
corpus. A selection names one series of the study that precedes it (its studyUid, seriesUid,
seriesNumber, derivedFrom, subject and instances agree with that study), with 2D regions of every R5
2D graphic type and, when it has a frameOfReferenceUid, 3D regions (coplanar closed polygons, ellipsoids
with six triplets, …) whose coordinate counts fit their type.
"""

from __future__ import annotations

import random

DCM = "http://dicom.nema.org/resources/ontology/DCM"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ROOTS = ("2.25.", "1.2.826.0.1.3680043.8.498.", "1.3.6.1.4.1.14519.5.2.1.", "1.2.840.113619.2.55.3.")
SOP = {  # SOP Class UIDs (DICOM PS3.4 Annex B) by modality; the first is the usual one
    "CT": ("1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.2.1"),
    "MR": ("1.2.840.10008.5.1.4.1.1.4", "1.2.840.10008.5.1.4.1.1.4.1"),
    "CR": ("1.2.840.10008.5.1.4.1.1.1",),
    "DX": ("1.2.840.10008.5.1.4.1.1.1.1",),
    "MG": ("1.2.840.10008.5.1.4.1.1.1.2",),
    "US": ("1.2.840.10008.5.1.4.1.1.6.1", "1.2.840.10008.5.1.4.1.1.3.1"),
    "PT": ("1.2.840.10008.5.1.4.1.1.128",),
    "NM": ("1.2.840.10008.5.1.4.1.1.20",),
    "SR": ("1.2.840.10008.5.1.4.1.1.88.33",),
    "KO": ("1.2.840.10008.5.1.4.1.1.88.59",),
    "PR": ("1.2.840.10008.5.1.4.1.1.11.1",),
    "SEG": ("1.2.840.10008.5.1.4.1.1.66.4",),
}
MULTIFRAME = {"1.2.840.10008.5.1.4.1.1.2.1", "1.2.840.10008.5.1.4.1.1.4.1", "1.2.840.10008.5.1.4.1.1.3.1",
              "1.2.840.10008.5.1.4.1.1.20", "1.2.840.10008.5.1.4.1.1.66.4"}
MODALITY_NAMES = {"CT": "Computed Tomography", "MR": "Magnetic Resonance", "CR": "Computed Radiography",
                  "DX": "Digital Radiography", "MG": "Mammography", "US": "Ultrasound",
                  "PT": "Positron emission tomography", "NM": "Nuclear Medicine", "SR": "SR Document",
                  "KO": "Key Object Selection", "PR": "Presentation State", "SEG": "Segmentation"}
ACQUISITION = {"CT", "MR", "CR", "DX", "MG", "US", "PT", "NM"}
EXAMS = [  # (acquisition modalities, LOINC code, name, body site SNOMED code, display, series descriptions)
    (("CT",), "24627-2", "CT Chest", "51185008", "Thorax", ["Axial 1.25mm lung", "Axial 3mm mediastinum", "Coronal MPR"]),
    (("CT",), "24558-9", "CT Abdomen and Pelvis", "818983003", "Abdomen", ["Axial portal venous", "Coronal 3mm"]),
    (("MR",), "24590-2", "MR Brain", "12738006", "Brain", ["T1 sagittal", "T2 axial", "FLAIR axial", "DWI b1000"]),
    (("MR",), "24808-0", "MR Knee", "72696002", "Knee", ["PD fat sat coronal", "T1 sagittal"]),
    (("CR", "DX"), "36643-5", "XR Chest 2 Views", "51185008", "Thorax", ["PA", "Lateral"]),
    (("MG",), "24606-6", "MG Screening", "76752008", "Breast", ["L CC", "L MLO", "R CC", "R MLO"]),
    (("US",), "24531-6", "US Abdomen", "818983003", "Abdomen", ["Liver", "Kidneys"]),
    (("PT", "CT"), "44136-0", "PET-CT Whole body", "38266002", "Entire body", ["PET AC", "CT low dose"]),
    (("NM",), "39632-5", "NM Bone scan", "272673000", "Bone", ["Whole body anterior", "Whole body posterior"]),
]
DERIVED = ("SR", "KO", "PR", "SEG")
KOS_TITLES = [("113000", "Of Interest"), ("113002", "For Referring Provider"), ("113004", "For Teaching"),
              ("113005", "For Conference"), ("113009", "For Research")]
REGIONS_2D = {"point": 1, "circle": 2, "ellipse": 4, "polyline": (2, 6), "interpolated": (3, 8)}
REGIONS_3D = ("point", "multipoint", "polyline", "polygon", "ellipse", "ellipsoid")


class Gen:
    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.n = 0

    def digits(self, k: int) -> str:
        return str(self.r.randint(10 ** (k - 1), 10 ** k - 1))  # no leading zero

    def uid_root(self) -> str:
        root = self.r.choice(ROOTS)
        if root == "2.25.":  # a UUID as an integer (PS3.5 B.2)
            return root + str(self.r.getrandbits(128) | 1 << 120)
        return root + self.digits(50 - len(root) - self.r.randint(0, 8))  # room for .series.instance

    def instant(self) -> tuple[str, int, int, int, int, int, str]:
        r = self.r
        y, mo, d, h, mi = r.randint(2015, 2025), r.randint(1, 12), r.randint(1, 28), r.randint(7, 19), r.randint(0, 59)
        tz = r.choice(["+01:00", "+02:00", "Z", "-05:00", "+09:00"])
        return f"{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{r.randint(0, 59):02}{tz}", y, mo, d, h, mi, tz

    def ref(self, rtype: str, prefix: str, span: int, display: str | None = None) -> dict:
        out = {"reference": f"{rtype}/{prefix}-{self.r.randint(1, span)}"}
        if display:
            out["display"] = display
        return out


def _coding(system: str, code: str, display: str | None = None) -> dict:
    c = {"system": system, "code": code}
    if display:
        c["display"] = display
    return c


def _concept(version: str, coding: dict) -> dict:
    return coding if version == "r4" else {"coding": [coding]}


def study(g: Gen, version: str) -> dict:
    """One ImagingStudy (version "r4" or "r5")."""
    r = g.r
    g.n += 1
    mods, loinc, exam, site, site_name, descs = r.choice(EXAMS)
    suid = g.uid_root()
    started, y, mo, d, h, mi, tz = g.instant()
    patient = f"pat-{r.randint(1, 5000)}"
    endpoint = g.ref("Endpoint", "pacs-dicomweb", 3)
    nseries = r.randint(1, 4)
    numbers = sorted(r.sample(range(1, 40), nseries))
    series, total = [], 0
    for k, num in enumerate(numbers):
        modality = mods[k % len(mods)] if k < nseries - 1 or nseries == 1 or r.random() < 0.6 else r.choice(DERIVED)
        sops = SOP[modality]
        ninst = r.randint(1, 30) if modality in ACQUISITION else r.randint(1, 3)
        ser_uid = f"{suid}.{num}"
        inst_numbers = r.sample(range(1, 400), ninst)
        instances = []
        for i in sorted(inst_numbers):
            inst = {"uid": f"{ser_uid}.{i}", "sopClass": {"system": "urn:ietf:rfc:3986", "code": "urn:oid:" + r.choice(sops)},
                    "number": i}
            if r.random() < 0.1:
                inst["title"] = f"{descs[k % len(descs)]} {i}"
            instances.append(inst)
        total += ninst
        s = {"uid": ser_uid, "number": num,
             "modality": _concept(version, _coding(DCM, modality, MODALITY_NAMES[modality])),
             "description": descs[k % len(descs)] if modality in ACQUISITION else f"{MODALITY_NAMES[modality]} {num}",
             "numberOfInstances": ninst}
        if r.random() < 0.5:
            s["endpoint"] = [endpoint]
        if modality in ACQUISITION:
            body = _coding(SNOMED, site, site_name)
            s["bodySite"] = body if version == "r4" else {"concept": {"coding": [body]}}
            if site in ("72696002", "76752008") and r.random() < 0.8:
                s["laterality"] = _concept(version, _coding(SNOMED, *r.choice(
                    [("7771000", "Left"), ("24028007", "Right")])))
        s["started"] = f"{y}-{mo:02}-{d:02}T{h:02}:{min(59, mi + k):02}:{r.randint(0, 59):02}{tz}"
        if r.random() < 0.4:
            s["performer"] = [{"function": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                                        "code": "PRF"}]},
                               "actor": g.ref("Practitioner", "tech", 300)}]
        s["instance"] = instances
        series.append(s)
    distinct = []
    for s in series:
        code = (s["modality"] if version == "r4" else s["modality"]["coding"][0])["code"]
        if code not in distinct and (version == "r5" or code in ACQUISITION):
            distinct.append(code)
    res: dict = {"resourceType": "ImagingStudy", "id": f"study-{g.n}"}
    if r.random() < 0.8:
        res["text"] = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>'
                       f"{exam}, {started[:10]}: {nseries} series, {total} instances</p></div>"}
    res["identifier"] = [{"use": "official", "system": "urn:dicom:uid", "value": "urn:oid:" + suid}]
    if r.random() < 0.9:
        res["identifier"].append({"use": "usual", "type": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "ACSN"}]},
            "system": f"http://hospital{r.randint(1, 4)}.example.org/accession", "value": f"A{y}{mo:02}{d:02}-{g.digits(4)}"})
    res["status"] = r.choice(["available"] * 8 + ["registered", "unknown"])
    res["modality"] = [_concept(version, _coding(DCM, m, MODALITY_NAMES[m])) for m in distinct]
    res["subject"] = {"reference": f"Patient/{patient}"}
    if r.random() < 0.3:
        res["encounter"] = g.ref("Encounter", "enc", 9000)
    res["started"] = started
    if r.random() < 0.7:
        res["basedOn"] = [g.ref("ServiceRequest", "sr", 9000)]
    if r.random() < 0.5:
        res["referrer"] = g.ref("Practitioner", "ref", 500)
    if version == "r4" and r.random() < 0.5:
        res["interpreter"] = [g.ref("Practitioner", "rad", 80)]
    res["endpoint"] = [endpoint]
    res["numberOfSeries"] = nseries
    res["numberOfInstances"] = total
    proc = _coding(LOINC, loinc, exam)
    if version == "r4":
        res["procedureCode"] = [{"coding": [proc]}]
        if r.random() < 0.3:
            res["reasonCode"] = [{"text": r.choice(["Follow-up", "Trauma", "Screening", "Staging"])}]
    else:
        res["procedure"] = [{"concept": {"coding": [proc]}}]
        if r.random() < 0.3:
            res["reason"] = [{"concept": {"text": r.choice(["Follow-up", "Trauma", "Screening", "Staging"])}}]
    if r.random() < 0.2:
        res["note"] = [{"text": "Patient moved during the second series."}]
    res["description"] = exam.upper()
    res["series"] = series
    res["_patient"] = patient  # removed by the callers; the selections use it
    return res


def _round(v: float) -> float:
    return round(v, 1)


def _regions_2d(g: Gen) -> list[dict]:
    r, out = g.r, []
    for _ in range(r.randint(1, 3)):
        kind = r.choice(list(REGIONS_2D))
        n = REGIONS_2D[kind]
        n = r.randint(*n) if isinstance(n, tuple) else n
        coords: list[float] = []
        for _ in range(n):
            coords += [_round(r.uniform(0, 511)), _round(r.uniform(0, 511))]
        out.append({"regionType": kind, "coordinate": coords})
    return out


def _regions_3d(g: Gen) -> list[dict]:
    r, out = g.r, []
    cx, cy, cz = (_round(r.uniform(-150, 150)) for _ in range(3))
    for _ in range(r.randint(1, 2)):
        kind = r.choice(REGIONS_3D)
        if kind == "ellipsoid":
            a, b, c = (_round(r.uniform(2, 20)) for _ in range(3))
            pts = [(cx - a, cy, cz), (cx + a, cy, cz), (cx, cy - b, cz), (cx, cy + b, cz), (cx, cy, cz - c), (cx, cy, cz + c)]
        elif kind == "ellipse":
            a, b = _round(r.uniform(2, 20)), _round(r.uniform(2, 20))
            pts = [(cx - a, cy, cz), (cx + a, cy, cz), (cx, cy - b, cz), (cx, cy + b, cz)]
        elif kind == "polygon":  # closed, in the axial plane z = cz
            pts = [(_round(cx + r.uniform(-30, 30)), _round(cy + r.uniform(-30, 30)), cz) for _ in range(r.randint(3, 7))]
            pts.append(pts[0])
        else:
            n = 1 if kind == "point" else r.randint(2, 6)
            pts = [(_round(cx + r.uniform(-30, 30)), _round(cy + r.uniform(-30, 30)), _round(cz + r.uniform(-10, 10)))
                   for _ in range(n)]
        out.append({"regionType": kind, "coordinate": [_round(v) for p in pts for v in p]})
    return out


def selection(g: Gen, st: dict, patient: str) -> dict:
    """An R5 ImagingSelection of some instances of one series of the R5 study st."""
    r = g.r
    g.n += 1
    s = r.choice(st["series"])
    suid = st["identifier"][0]["value"][len("urn:oid:"):]
    issued, *_ = g.instant()
    title = r.choice(KOS_TITLES)
    res: dict = {"resourceType": "ImagingSelection", "id": f"sel-{g.n}"}
    if r.random() < 0.7:
        res["text"] = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>'
                       f"{title[1]}: series {s['number']} of {st['description']}</p></div>"}
    res["identifier"] = [{"system": "urn:dicom:uid", "value": f"urn:oid:{suid}.{g.digits(6)}"}]
    res["status"] = r.choice(["available"] * 9 + ["unknown"])
    res["subject"] = {"reference": f"Patient/{patient}"}
    res["issued"] = issued
    if r.random() < 0.6:
        res["performer"] = [{"function": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                                      "code": "VRF", "display": "verifier"}]},
                             "actor": g.ref("Practitioner", "rad", 80)}]
    if "basedOn" in st:
        res["basedOn"] = st["basedOn"]
    res["code"] = {"coding": [{"system": DCM, "code": title[0], "display": title[1]}]}
    res["studyUid"] = suid
    res["derivedFrom"] = [{"reference": f"ImagingStudy/{st['id']}"}]
    res["endpoint"] = st["endpoint"]
    res["seriesUid"] = s["uid"]
    res["seriesNumber"] = s["number"]
    three_d = r.random() < 0.4
    if three_d:
        res["frameOfReferenceUid"] = f"{suid}.{g.digits(4)}"
    if "bodySite" in s:
        res["bodySite"] = s["bodySite"]
    chosen = r.sample(s["instance"], min(len(s["instance"]), r.randint(1, 5)))
    insts = []
    for inst in chosen:
        i = {"uid": inst["uid"], "number": inst["number"], "sopClass": inst["sopClass"]}
        if inst["sopClass"]["code"][8:] in MULTIFRAME and r.random() < 0.6:
            first = r.randint(1, 40)
            i["subset"] = [str(f) for f in range(first, first + r.randint(1, 6))]
        if r.random() < 0.7:
            i["imageRegion2D"] = _regions_2d(g)
        if three_d and r.random() < 0.8:
            i["imageRegion3D"] = _regions_3d(g)
        insts.append(i)
    res["instance"] = insts
    return res


def r4_studies(n: int, seed: int = 11) -> list[dict]:
    g = Gen(seed)
    out = [study(g, "r4") for _ in range(n)]
    for s in out:
        del s["_patient"]
    return out


def r5_imaging(n: int, seed: int = 11) -> list[dict]:
    """R5 studies, each followed by 0-2 selections of it (about half of each)."""
    g, out = Gen(seed), []
    while len(out) < n:
        st = study(g, "r5")
        patient = st.pop("_patient")
        out.append(st)
        for _ in range(g.r.randint(0, 2)):
            if len(out) < n:
                out.append(selection(g, st, patient))
    return out
