# imaging-harness: compiled
"""ImagingStudy, ImagingManifest and ImagingExcerpt on their own: unique UIDs per level, an instance
in one series only, counts that cover what is listed, modalities, one patient."""

from __future__ import annotations

from typing import Iterator

from harness.imaging.paths import codes, items, text, values
from harness.imaging.rules import Subject, check, table
from harness.imaging.series import _bare, _different_patients, _duplicates
from harness.imaging.uids import identifier_uid, study_uids
from harness.imaging.words import cited
from harness.validation.catalog import reports, rule
from harness.validation.issues import ERROR, WARNING, Issue

# Modalities that are not acquisition modalities (DICOM PS3.3 C.7.3.1.1.1 / CID 32 minus CID 29):
# R4 ImagingStudy.modality lists only acquisition modalities, so these never need to appear there.
NON_ACQUISITION = frozenset({"KO", "PR", "SR", "SEG", "REG", "RTSTRUCT", "RTPLAN", "RTDOSE", "RTRECORD",
                             "DOC", "FID", "PLAN", "RWV", "AU", "HC", "ASMT", "M3D", "OT", "POS"})


def _levels_fine(s: Subject) -> bool:
    """study_levels reports nothing: no Series Instance UID twice, no SOP Instance UID twice, no
    count below what is listed. It reads the values the UID check already derived (s.values), so
    a UID given as an array counts here though the check skips it: that can only add a duplicate,
    and then the check runs and decides.

    Written as plain loops: studies.pxd gives the compiled build C types for them.

    Measured (docs/shortcuts.md: `python benchmarks/bench_shortcuts.py --n 2000`, two runs, the
    compiled build, CPU time per resource): without it the imaging rules take 6.5–8.0 µs more on
    large R4 (4.3–5.2% of the whole validation's 150–154 µs), 2.5–3.7 µs on large R5 (1.8–2.5%)
    and 0.4–1.2 µs on small R4 (within the noise)."""
    st = s.spec["study"]
    series_key, instance_key, count_key = st["series"], st["instance"], st["seriesCount"]
    inst_path = f"{series_key}.{instance_key}"
    if not _distinct(s.values(f"{series_key}.uid"), True) or not _distinct(s.values(f"{inst_path}.uid"), False):
        return False
    listed = 0
    for ser in s.values(series_key):
        if not isinstance(ser, dict):
            continue
        listed += 1
        count = ser.get(count_key)
        if isinstance(count, int) and count < _objects(values(ser, instance_key)):
            return False
    for key, least in ((st["numberOfSeries"], listed), (st["numberOfInstances"], _objects(s.values(inst_path)))):
        value = s.resource.get(key)
        if isinstance(value, int) and value < least:
            return False
    return True


def _distinct(found: list, skip_empty: bool) -> bool:
    """No str among found given twice (an empty one not counted when skip_empty)."""
    seen = set()
    for u in found:
        if isinstance(u, str):
            if skip_empty and not u:
                continue
            if u in seen:
                return False
            seen.add(u)
    return True


def _objects(found: list) -> int:
    """How many of found are objects."""
    n = 0
    for v in found:
        if isinstance(v, dict):
            n += 1
    return n


@check("study", fine=_levels_fine)
@rule("imaging.study-counts", ERROR, "numberOfSeries / numberOfInstances smaller than what is listed",
      "ImagingStudy.numberOfSeries / numberOfInstances / series.numberOfInstances (R4, R5): 'Number of "
      "Series in the Study. This value given may be larger than the number of series elements this "
      "Resource contains due to resource availability, security, or other factors.' — never smaller.")
@reports("imaging.duplicate-uid")
def study_levels(s: Subject) -> Iterator[Issue]:
    st = s.spec["study"]
    series = s.items(st["series"])
    yield from _duplicates(s, [(f"{loc}.uid", text(ser, "uid")) for loc, ser in series
                               if text(ser, "uid")], "Series Instance", "in this study")
    home: dict[str, str] = {}
    total = 0
    for loc, ser in series:
        insts = items(ser, st["instance"], loc)
        total += len(insts)
        for iloc, inst in insts:
            uid = text(inst, "uid")
            if uid is None:
                continue
            if uid in home:
                other = home[uid]
                same = other.rsplit(".instance", 1)[0] == loc
                yield s.issue("imaging.duplicate-uid", f"{iloc}.uid",
                              f"SOP Instance UID {uid} is listed again (first at {other})"
                              + ("" if same else ": an instance belongs to one series only"),
                              "DICOM PS3.3 A.1.2: a SOP instance belongs to exactly one series of one study")
            else:
                home[uid] = f"{iloc}.uid"
        count = ser.get(st["seriesCount"])
        if isinstance(count, int) and count < len(insts):
            yield s.issue("imaging.study-counts", f"{loc}.{st['seriesCount']}",
                          f"series.numberOfInstances is {count} but {len(insts)} instances are listed")
    for key, listed, what in ((st["numberOfSeries"], len(series), "series"), (st["numberOfInstances"], total, "instances")):
        value = s.resource.get(key)
        if isinstance(value, int) and value < listed:
            yield s.issue("imaging.study-counts", f"{s.rtype}.{key}",
                          f"{key} is {value} but {listed} {what} are listed")


def _modalities_fine(s: Subject) -> bool:
    """study_modalities reports nothing: every series modality is in the study's list (or, where
    the list names acquisition modalities only, is not one), read without locations.

    Measured (docs/shortcuts.md): alone within the noise of `benchmarks/bench_shortcuts.py`; with the
    other three selection and modality verdicts, 7–9% of the whole validation of the bundled
    fixtures (`benchmarks/bench_validate.py`, compiled build)."""
    st = s.spec["study"]
    if s.resource.get(st["modality"]) is None:
        return True
    listed = {c for _, c in codes(s.resource.get(st["modality"]))}
    exempt = NON_ACQUISITION if st["modalityScope"] == "acquisition" else frozenset()
    return all(code in listed or code in exempt
               for ser in s.values(st["series"]) if isinstance(ser, dict)
               for _, code in codes(ser.get(st["seriesModality"])))


@check("study", fine=_modalities_fine)
@rule("imaging.study-modality", WARNING, "A series modality missing from the study's modality list",
      cited("study.modalityWords"))
def study_modalities(s: Subject) -> Iterator[Issue]:
    st = s.spec["study"]
    if s.resource.get(st["modality"]) is None:
        return
    listed = {c for _, c in codes(s.resource.get(st["modality"]))}
    for loc, ser in s.items(st["series"]):
        for _, code in codes(ser.get(st["seriesModality"])):
            if code in listed or (st["modalityScope"] == "acquisition" and code in NON_ACQUISITION):
                continue
            yield s.issue("imaging.study-modality", f"{loc}.{st['seriesModality']}",
                          f"series modality {code} is not in the study's modality list ({', '.join(sorted(listed))})",
                          st["modalityWords"])


@check("manifest")
@reports("imaging.duplicate-uid")
def manifest_levels(s: Subject) -> Iterator[Issue]:
    m = s.spec["manifest"]
    studies = s.items(m["study"])
    yield from _duplicates(s, [(f"{loc}.{m['studyUid']}", _bare(text(st, m["studyUid"]))) for loc, st in studies
                               if text(st, m["studyUid"])], "Study Instance", "in this resource")
    instances: list[tuple[str, str]] = []
    for loc, st in studies:
        series = items(st, m["series"], loc)
        yield from _duplicates(s, [(f"{sl}.{m['seriesUid']}", _bare(text(se, m["seriesUid"]))) for sl, se in series
                                   if text(se, m["seriesUid"])], "Series Instance", f"in {loc}")
        for sl, se in series:
            instances += [(f"{il}.{m['instanceUid']}", _bare(text(i, m["instanceUid"])))
                          for il, i in items(se, m["instance"], sl) if text(i, m["instanceUid"])]
    yield from _duplicates(s, instances, "SOP Instance", "in this resource (an instance is in one series only)")


def _study_facts(s: Subject, study: dict) -> tuple[list[str], object]:
    """(Study Instance UIDs, patient reference) of a referenced ImagingStudy, read where this
    version's ImagingStudy keeps them (tables.json 'study': 'studyUid', 'patient'), plus the
    urn:dicom:uid identifiers."""
    st = (table(s.version).get("ImagingStudy") or {}).get("study") or {}
    uids = study_uids(study)
    own = _bare(text(study, st["studyUid"])) if st.get("studyUid") else None
    if own and own not in uids:
        uids.append(own)
    return uids, study.get(st.get("patient") or "subject")


@check("manifest")
@rule("imaging.one-patient", ERROR, "Referenced studies belong to another patient",
      "ImagingExcerpt 1.4.0 (seed 000): 'The referenced SOP Instances (images or other content) are for "
      "a single patient'; ImagingManifest STU3 and ImagingSelection (one series of one study) likewise: "
      "the subject (STU3: patient) of every referenced ImagingStudy is the resource's patient/subject.")
@reports("imaging.unresolved", "imaging.study-mismatch")
def manifest_patient(s: Subject) -> Iterator[Issue]:
    m = s.spec["manifest"]
    patient = s.resource.get(m["patient"])
    for loc, st in s.items(m["study"]):
        ref = st.get(m["studyRef"])
        if not isinstance(ref, dict):
            continue
        study, how = s.resolve(ref) if "reference" in ref else (None, "the reference has no literal reference")
        if study is None and identifier_uid(ref.get("identifier")):
            found = s.resolver.studies_with_uid(identifier_uid(ref.get("identifier")))
            study = found[0] if found else None
        if study is None or study.get("resourceType") != "ImagingStudy":
            yield s.issue("imaging.unresolved", f"{loc}.{m['studyRef']}",
                          f"cannot check patient and study UID against this ImagingStudy: {how}")
            continue
        uid = _bare(text(st, m["studyUid"]))
        known, study_patient = _study_facts(s, study)
        if uid and known and uid not in known:
            yield s.issue("imaging.study-mismatch", f"{loc}.{m['studyUid']}",
                          f"study uid {uid} is not the Study Instance UID of the referenced ImagingStudy "
                          f"({', '.join(known)})")
        if _different_patients(s, patient, study_patient):
            yield s.issue("imaging.one-patient", f"{loc}.{m['studyRef']}",
                          f"the referenced ImagingStudy is for {study_patient.get('reference')}, not for "
                          f"this resource's patient {patient.get('reference')}")
