"""Imaging checks that need another resource: an ImagingSelection's instances belong to one series of
the ImagingStudy it derives from (R5 ImagingSelection.seriesUid, .instance.uid, .derivedFrom, .studyUid)."""

from __future__ import annotations

REQUIREMENT = ("FHIR R5 5.0.0 ImagingSelection.instance: \"The selected instances in the series\" and "
               "ImagingSelection.seriesUid: \"The Series Instance UID for the DICOM Series from which the "
               "images were selected\"")


def _study_uid(study: dict) -> str | None:
    for i in study.get("identifier") or []:
        if isinstance(i, dict) and i.get("system") == "urn:dicom:uid" and isinstance(i.get("value"), str):
            return i["value"].removeprefix("urn:oid:")
    return None


def _in_bundle(bundle, ref: str) -> dict | None:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return None
    rtype, _, rid = ref.partition("/")
    for e in bundle.get("entry") or []:
        r = (e or {}).get("resource") if isinstance(e, dict) else None
        if isinstance(r, dict) and r.get("resourceType") == rtype and r.get("id") == rid:
            return r
    return None


def single_series_problems(selections: list[dict], bundle, fetch) -> list[str]:
    problems = []
    for sel in selections:
        label = f"ImagingSelection/{sel.get('id')}"
        uids = [i.get("uid") for i in sel.get("instance") or [] if isinstance(i, dict)]
        studies = [d.get("reference") for d in sel.get("derivedFrom") or []
                   if isinstance(d, dict) and str(d.get("reference", "")).startswith("ImagingStudy/")]
        if not studies:
            problems.append(f"{label}: derives from no ImagingStudy")
            continue
        ref = "/".join(studies[0].split("/")[-2:])
        study = _in_bundle(bundle, ref) or (fetch(ref) if fetch else None)
        if not isinstance(study, dict):
            problems.append(f"{label}: {ref} could not be read")
            continue
        if sel.get("studyUid") and _study_uid(study) and sel["studyUid"] != _study_uid(study):
            problems.append(f"{label}: studyUid {sel['studyUid']} is not the study's {_study_uid(study)}")
        series_of = {}
        for s in study.get("series") or []:
            for inst in s.get("instance") or []:
                series_of[inst.get("uid")] = s.get("uid")
        owners = {series_of.get(u) for u in uids}
        unknown = [u for u in uids if u not in series_of]
        if unknown:
            problems.append(f"{label}: instance(s) {', '.join(unknown)} are not in {ref}")
        elif len(owners) > 1:
            problems.append(f"{label}: instances span {len(owners)} series ({', '.join(sorted(owners))})")
        elif sel.get("seriesUid") and owners and sel["seriesUid"] not in owners:
            problems.append(f"{label}: seriesUid {sel['seriesUid']} is not the series of its instances")
    return problems
