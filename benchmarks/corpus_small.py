"""Seeded small imaging resources, the kind most exports are made of (issue #23).

    from corpus_small import small_r5, small_r4
    small_r5(60000, seed=23)   # one third R5 ImagingStudy (~1.46 KB), two thirds ImagingSelection (~0.96 KB)
    small_r4(20000, seed=23)   # R4 ImagingStudy (~1.73 KB)

An R5 study has 2 series and 3 instances and no narrative; an R5 selection names one instance of a
series with one 2D region and gives no study (no derivedFrom: the single-series rule has nothing to
resolve, as in an export of selections alone); an R4 study has 2 series, 3 instances and an
endpoint. Every id, UID, date and reference is drawn afresh (UIDs from benchmarks/corpus.py's
generator: valid DICOM UIDs, unique in the corpus), so no two resources are the same and no cache
of values a user's data never repeats is warmed. Same seed → same bytes (random.Random, no clock).
"""

from __future__ import annotations

from corpus import DCM, EXAMS, LOINC, SOP, Gen, _coding, _concept


def small_study(g: Gen, version: str) -> dict:
    """An ImagingStudy of 2 series and 3 instances (version "r4" or "r5")."""
    r = g.r
    g.n += 1
    mods, loinc, exam, _, _, descs = r.choice(EXAMS)
    suid = g.uid_root()
    started, y, mo, d, h, mi, tz = g.instant()
    numbers = sorted(r.sample(range(1, 40), 2))
    counts = r.choice([(2, 1), (1, 2)])
    endpoint = g.ref("Endpoint", "pacs", 10**6)
    series, seen = [], []
    for k, (num, ninst) in enumerate(zip(numbers, counts)):
        modality = mods[k % len(mods)]
        if modality not in seen:
            seen.append(modality)
        ser_uid = f"{suid}.{num}"
        instances = [{"uid": f"{ser_uid}.{i}", "sopClass": {"system": "urn:ietf:rfc:3986",
                                                            "code": "urn:oid:" + r.choice(SOP[modality])}, "number": i}
                     for i in sorted(r.sample(range(1, 400), ninst))]
        s = {"uid": ser_uid, "number": num, "modality": _concept(version, _coding(DCM, modality)),
             "description": descs[k % len(descs)], "numberOfInstances": ninst, "instance": instances}
        if version == "r4":
            s["endpoint"] = [endpoint]
        series.append(s)
    res: dict = {"resourceType": "ImagingStudy", "id": f"study-{g.n}",
                 "identifier": [{"use": "official", "system": "urn:dicom:uid", "value": "urn:oid:" + suid}],
                 "status": "available",
                 "modality": [_concept(version, _coding(DCM, m)) for m in seen],
                 "subject": g.ref("Patient", "pat", 10**7),
                 "started": started,
                 "endpoint": [endpoint],
                 "numberOfSeries": 2, "numberOfInstances": 3}
    proc = _coding(LOINC, loinc, exam)
    if version == "r4":
        res["basedOn"] = [g.ref("ServiceRequest", "sr", 10**7)]
        res["referrer"] = g.ref("Practitioner", "ref", 10**5)
        res["procedureCode"] = [{"coding": [proc]}]
    res["description"] = exam.upper()
    res["series"] = series
    return res


def small_selection(g: Gen) -> dict:
    """An R5 ImagingSelection of one instance with one 2D region; no derivedFrom."""
    r = g.r
    g.n += 1
    suid = g.uid_root()
    num = r.randint(1, 40)
    modality = r.choice(["CT", "MR", "DX", "MG", "US"])
    kind = r.choice(["point", "circle", "ellipse", "polyline"])
    npts = {"point": 1, "circle": 2, "ellipse": 4}.get(kind) or r.randint(2, 5)
    coords = [round(r.uniform(0, 511), 1) for _ in range(2 * npts)]
    issued, *_ = g.instant()
    inst = r.randint(1, 400)
    return {"resourceType": "ImagingSelection", "id": f"sel-{g.n}",
            "identifier": [{"system": "urn:dicom:uid", "value": f"urn:oid:{suid}.{num}.{g.digits(6)}"}],
            "status": "available",
            "subject": g.ref("Patient", "pat", 10**7),
            "issued": issued,
            "performer": [{"actor": g.ref("Practitioner", "rad", 10**5)}],
            "basedOn": [g.ref("ServiceRequest", "sr", 10**7)],
            "code": {"coding": [_coding(DCM, "113000", "Of Interest")]},
            "studyUid": suid, "endpoint": [g.ref("Endpoint", "pacs", 10**6)],
            "seriesUid": f"{suid}.{num}", "seriesNumber": num,
            "instance": [{"uid": f"{suid}.{num}.{inst}", "number": inst,
                          "sopClass": {"system": "urn:ietf:rfc:3986", "code": "urn:oid:" + SOP[modality][0]},
                          "imageRegion2D": [{"regionType": kind, "coordinate": coords}]}]}


def small_r5(n: int, seed: int = 23) -> list[dict]:
    """One third studies, two thirds selections, interleaved (study, selection, selection, ...)."""
    g = Gen(seed)
    return [small_study(g, "r5") if k % 3 == 0 else small_selection(g) for k in range(n)]


def small_r4(n: int, seed: int = 23) -> list[dict]:
    g = Gen(seed)
    return [small_study(g, "r4") for _ in range(n)]
