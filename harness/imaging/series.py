# imaging-harness: compiled
"""The single-series rule and the DICOM information model (study ⊃ series ⊃ instance).

Three depths: inside one ImagingSelection, the selection against the ImagingStudy it derives from,
and ImagingStudy / ImagingManifest / ImagingExcerpt on their own.
"""

from __future__ import annotations

from typing import Iterator

from harness.imaging.paths import text
from harness.imaging.rules import Subject, check, ref_type
from harness.imaging.uids import identifier_uid, study_uids
from harness.imaging.words import cited
from harness.validation.catalog import reports, rule
from harness.validation.issues import ERROR, INFORMATION, Issue
from harness.validation.references import type_and_id

_UNIQUE = "DICOM PS3.3 A.1.2: a UID names one study, one series, one SOP instance; an instance belongs to one series"
_SERIES_NUMBER = "ImagingSelection.seriesNumber: 'The Series Number for the selected DICOM Series'"


def _duplicates(s: Subject, entries: list[tuple[str, str]], what: str, scope: str) -> Iterator[Issue]:
    seen: dict[str, str] = {}
    for loc, uid in entries:
        if uid in seen:
            yield s.issue("imaging.duplicate-uid", loc, f"{what} UID {uid} is listed again (first at {seen[uid]}) {scope}",
                          _UNIQUE)
        else:
            seen[uid] = loc


# --- ImagingSelection -----------------------------------------------------------------------------

def _selection_instances(s: Subject) -> list[tuple[str, str]]:
    """(location, SOP Instance UID) of each selected instance (both selection checks read it)."""
    return s.once("selection-instances", _instances_of)


def _instances_of(s: Subject) -> list[tuple[str, str]]:
    sel = s.spec["selection"]
    return [(f"{loc}.{sel['instanceUid']}", _bare(text(inst, sel["instanceUid"])))
            for loc, inst in s.items(sel["instance"])
            if isinstance(text(inst, sel["instanceUid"]), str)]


def _bare(value: str | None) -> str | None:
    return value[8:] if isinstance(value, str) and value.startswith("urn:oid:") else value


def _selected_uids(s: Subject) -> list[str]:
    """The SOP Instance UIDs of _selection_instances, without their locations."""
    return s.once("selected-uids", _uids_of)


def _uids_of(s: Subject) -> list[str]:
    key = s.spec["selection"]["instanceUid"]
    return [_bare(inst[key]) for inst in s.values(s.spec["selection"]["instance"])
            if isinstance(inst, dict) and isinstance(inst.get(key), str)]


def _itself_fine(s: Subject) -> bool:
    """selection_itself reports nothing: no instance selected twice, and with instances selected,
    seriesUid and studyUid both present (where the version requires them).

    Measured (docs/shortcuts.md): alone within the noise of `benchmarks/bench_shortcuts.py`; with the
    other three selection and modality verdicts, 7–9% of the whole validation of the bundled
    fixtures (`benchmarks/bench_validate.py`, compiled build)."""
    sel, uids = s.spec["selection"], _selected_uids(s)
    if uids and "seriesUidWords" in s.spec and (sel["seriesUid"] not in s.resource or sel["studyUid"] not in s.resource):
        return False
    return len(set(uids)) == len(uids)


@check("selection", fine=_itself_fine)
@rule("imaging.series-uid-required", ERROR, "Instances selected without the series and study they belong to",
      f"{cited('seriesUidWords')} Checked only in the versions whose source says so (tables.json "
      "seriesUidWords): the R5 snapshot 1 page (seed 001) and the R6 ballot 2 summary (seed 004) state no such "
      "requirement.")
@rule("imaging.duplicate-uid", ERROR, "A UID listed twice at one level, or an instance in two series",
      f"{_UNIQUE} (PS3.3 A.1.2 Information Entities: Study ⊃ Series ⊃ Instance; PS3.5 §9 Unique Identifiers).")
def selection_itself(s: Subject) -> Iterator[Issue]:
    sel, words = s.spec["selection"], s.spec.get("seriesUidWords")
    instances = _selection_instances(s)
    if instances and words:  # only versions whose source requires them (tables.json seriesUidWords)
        for key in ("seriesUid", "studyUid"):
            if sel[key] not in s.resource:
                yield s.issue("imaging.series-uid-required", f"{s.rtype}.{sel[key]}",
                              f"{len(instances)} instance(s) are selected but {sel[key]} is absent: it is "
                              "required whenever instances are selected (an instance is selected within "
                              "one series of one study)", words)
    yield from _duplicates(s, instances, "SOP Instance", "in this selection")


def _named_studies(s: Subject) -> Iterator[tuple[str, dict | None, str | None, str]]:
    """(location, study or None, uid named by identifier or None, why unresolved) per derivedFrom."""
    sel = s.spec["selection"]
    for loc, ref in s.walk(sel["derivedFrom"]):
        if not isinstance(ref, dict):
            continue
        rt = ref_type(ref)
        by_ident = identifier_uid(ref.get("identifier"))
        if rt not in (None, "ImagingStudy") and by_ident is None:
            continue  # derivedFrom may name a DocumentReference etc.
        study, how = s.resolve(ref) if "reference" in ref else (None, "the reference has no literal reference")
        if study is None and by_ident is not None:
            found = s.resolver.studies_with_uid(by_ident)
            study, how = (found[0], "by identifier") if found else (None, how)
        if study is not None and study.get("resourceType") != "ImagingStudy":
            if rt == "ImagingStudy" or by_ident:
                yield loc, None, by_ident, f"it resolves to a {study.get('resourceType')}, not an ImagingStudy"
            continue
        yield loc, study, by_ident, how


@check("selection")
@rule("imaging.unresolved", INFORMATION, "A resource a rule needs could not be found",
      "A rule that needs another resource and cannot resolve it says so; it is never counted as a pass.")
@rule("imaging.single-series", ERROR, "Selected instances are not all in the selection's one series",
      f"{cited('singleSeriesWords')} Checked against the ImagingStudy the selection derives from (same Bundle, "
      "contained, directory, --context, or the server): seriesUid is a series of that study and no selected "
      "instance is listed there under another series.")
@rule("imaging.study-mismatch", ERROR, "studyUid contradicts the study the resource derives from",
      f"{cited('singleSeriesWords')} The Study Instance UID of the ImagingStudy named in derivedFrom (by "
      "reference or by a urn:dicom:uid identifier) equals the selection's studyUid.")
@rule("imaging.series-number", ERROR, "seriesNumber differs from the series number in the study",
      f"{_SERIES_NUMBER} (R5 5.0.0); it equals ImagingStudy.series.number of the series with the same seriesUid.")
@reports("imaging.one-patient")
def selection_against_study(s: Subject) -> Iterator[Issue]:
    sel, words = s.spec["selection"], s.spec["singleSeriesWords"]
    study_uid = _bare(text(s.resource, sel["studyUid"]))
    series_uid = _bare(text(s.resource, sel["seriesUid"]))
    if not (_selected_uids(s) or series_uid):
        return
    studies: list[tuple[str, dict]] = []
    for loc, study, by_ident, how in _named_studies(s):
        named = {by_ident} if by_ident else set()
        if study is not None:
            named |= set(study_uids(study))
            studies.append((loc, study))
        else:
            yield s.issue("imaging.unresolved", loc, f"cannot check the selected series and instances against "
                          f"this ImagingStudy: {how}", words)
        if study_uid and named and study_uid not in named:
            yield s.issue("imaging.study-mismatch", f"{s.rtype}.{sel['studyUid']}",
                          f"studyUid {study_uid} is not the study named at {loc} ({', '.join(sorted(named))})", words)
    if not studies and study_uid:
        studies = [(f"{s.rtype}.{sel['studyUid']}", st) for st in s.resolver.studies_with_uid(study_uid)]
        if not studies and not any(True for _ in s.walk(sel["derivedFrom"])):
            yield s.issue("imaging.unresolved", f"{s.rtype}.{sel['studyUid']}",
                          f"no ImagingStudy with Study Instance UID {study_uid} in {s.resolver.name}: the "
                          "selection's instances cannot be checked against their study", words)
    for via, study in studies:
        yield from _against(s, study, via, series_uid, _selection_instances(s))


def _study_series(study: dict) -> dict[str, tuple[int, dict]]:
    out: dict[str, tuple[int, dict]] = {}
    for i, series in enumerate(study.get("series") if isinstance(study.get("series"), list) else []):
        if isinstance(series, dict) and isinstance(series.get("uid"), str):
            out.setdefault(series["uid"], (i, series))
    return out


def _against(s: Subject, study: dict, via: str, series_uid: str | None,
             instances: list[tuple[str, str]]) -> Iterator[Issue]:
    sel, words = s.spec["selection"], s.spec["singleSeriesWords"]
    series = _study_series(study)
    name = f"ImagingStudy/{study.get('id')}" if isinstance(study.get("id"), str) else f"the ImagingStudy at {via}"
    where: dict[str, str] = {}
    for uid, (_, ser) in series.items():
        for inst in ser.get("instance") if isinstance(ser.get("instance"), list) else []:
            if isinstance(inst, dict) and isinstance(inst.get("uid"), str):
                where.setdefault(inst["uid"], uid)
    if series and series_uid and series_uid not in series:
        yield s.issue("imaging.single-series", f"{s.rtype}.{sel['seriesUid']}",
                      f"series {series_uid} is not a series of {name} (it lists {len(series)})", words)
    elif series_uid in series and "seriesNumber" in sel:
        number, listed = s.resource.get(sel["seriesNumber"]), series[series_uid][1].get("number")
        if isinstance(number, int) and isinstance(listed, int) and number != listed:
            yield s.issue("imaging.series-number", f"{s.rtype}.{sel['seriesNumber']}",
                          f"seriesNumber {number} but series {series_uid} is number {listed} in {name}",
                          _SERIES_NUMBER)
    anchor = series_uid
    for loc, uid in instances:
        home = where.get(uid)
        if home is None:
            continue  # the study may list a subset of its instances
        if anchor is None:
            anchor = home
        elif home != anchor:
            yield s.issue("imaging.single-series", loc,
                          f"instance {uid} belongs to series {home} in {name}, not to series {anchor}", words)
    subject_ref, study_ref = s.resource.get(sel["subject"]), study.get("subject")
    if _different_patients(s, subject_ref, study_ref):
        yield s.issue("imaging.one-patient", f"{s.rtype}.{sel['subject']}",
                      f"subject {subject_ref.get('reference')} is not the subject of {name} "
                      f"({study_ref.get('reference')})", words)


def _different_patients(s: Subject, a: object, b: object) -> bool:
    """True only when both references are known to name different resources."""
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return False
    ra, rb = a.get("reference"), b.get("reference")
    if not (isinstance(ra, str) and isinstance(rb, str)) or ra.startswith("#") or rb.startswith("#"):
        return False
    if ra == rb:
        return False
    xa, xb = s.resolver.resolve(ra, s.full_url), s.resolver.resolve(rb, None)
    if xa is not None and xb is not None:
        return xa is not xb
    ka, kb = type_and_id(ra), type_and_id(rb)
    if ka and kb and "://" not in ra + rb and not (ra + rb).startswith("urn:"):
        return ka != kb
    return False
