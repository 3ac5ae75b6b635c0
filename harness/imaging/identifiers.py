# imaging-harness: compiled
"""DICOM UID syntax on every UID-bearing element, and the urn:dicom:uid Identifier encoding."""

from __future__ import annotations

from typing import Iterator

from harness.imaging.rules import Subject, check
from harness.imaging.uids import (DICOM_UID_SYSTEM, NOT_A_URI_REQUIREMENT, OID_PREFIX, REQUIREMENT, all_valid,
                                  uid_problem, uids_at, uids_to_check)
from harness.validation.catalog import reports, rule
from harness.validation.issues import ERROR, Issue

_IDENT_WORDS = ("'When encoding a DICOM UID in an Identifier datatype, use the Identifier system of "
                "\"urn:dicom:uid\", and prefix the UID value with \"urn:oid:\".' (ImagingStudy R4, seed 002)")
_ONE_STUDY_WORDS = ("'An ImagingStudy SHALL reference one DICOM Study, and MAY reference a subset of that Study.' "
                    "(ImagingStudy R4, seed 002)")


def _uids_fine(s: Subject) -> bool:
    """uid_syntax reports nothing: every UID at every UID path is valid, checked all at once.

    Measured (docs/shortcuts.md: `python benchmarks/bench_shortcuts.py --n 2000`, two runs, the
    compiled build, CPU time per resource): without it the imaging rules take 87 µs more on large
    R4 (56–58% of the whole validation's 150–154 µs), 51–53 µs on large R5 (36%), 10 µs on small
    R4 (18–20%) and 6.1–6.5 µs on small R5 (12–13%)."""
    every: list = []
    for path, form in s.spec.get("uids", ()):
        found = uids_to_check(s.values(path), form)
        if found is None:
            return False
        every += found
    return all_valid(every)


@check("any", fine=_uids_fine)
@rule("imaging.uid", ERROR, "Not a valid DICOM UID",
      f"{REQUIREMENT} Applied to every UID-bearing element of every version.")
@rule("imaging.uid-encoding", ERROR, "A UID in a Coding of system urn:ietf:rfc:3986 not written as urn:oid:<uid>",
      NOT_A_URI_REQUIREMENT)
def uid_syntax(s: Subject) -> Iterator[Issue]:
    for path, form in s.spec.get("uids", ()):
        for loc, uid, problem in uids_at(s.resource, path, form, s.rtype):
            if problem is None:
                continue
            if uid is None:  # a code in the URI system that is not a URI: its encoding is wrong
                yield s.issue("imaging.uid-encoding", loc, problem, NOT_A_URI_REQUIREMENT)
            else:
                yield s.issue("imaging.uid", loc, f"UID {uid!r} {problem}", REQUIREMENT)


def _identifier_paths(s: Subject) -> list[str]:
    """The paths of the Identifiers dicom_identifiers reads, once per spec (the list is shared)."""
    entry = _IDENTIFIER_PATHS.get(id(s.spec))
    if entry is None or entry[0] is not s.spec:
        entry = _IDENTIFIER_PATHS[id(s.spec)] = (s.spec, _paths_of(s.spec))  # the spec is kept: its id stays its own
    return entry[1]


_IDENTIFIER_PATHS: dict[int, tuple[dict, list[str]]] = {}


def _paths_of(spec: dict) -> list[str]:
    paths = list(spec.get("identifiers", ()))
    for key in ("derivedFrom",):
        if key in spec.get("selection", {}):
            paths.append(spec["selection"][key] + ".identifier")
    if "manifest" in spec:
        m = spec["manifest"]
        paths.append(f"{m['study']}.{m['studyRef']}.identifier")
    return paths


def _identifiers_fine(s: Subject) -> bool:
    """dicom_identifiers reports nothing: every urn:dicom:uid Identifier with a string value has
    urn:oid: and a valid UID, and (a study) its 'identifier' carries one Study Instance UID.

    Written as plain loops: identifiers.pxd gives the compiled build C types for them.

    Measured (docs/shortcuts.md): alone within the noise of `benchmarks/bench_shortcuts.py`; with the
    other three selection and modality verdicts, 7–9% of the whole validation of the bundled
    fixtures (`benchmarks/bench_validate.py`, compiled build)."""
    every: list = []
    study = s.spec["kind"] == "study"
    for path in _identifier_paths(s):
        one = study and path == "identifier"
        first = None
        for ident in s.values(path):
            if type(ident) is not dict:
                if isinstance(ident, dict):
                    return False  # a dict subclass (no parser makes one): the check decides
                continue
            d = ident
            if d.get("system") != DICOM_UID_SYSTEM:
                continue
            value = d.get("value")
            if type(value) is not str:
                if isinstance(value, str):
                    return False  # a str subclass, likewise
                continue
            v = value
            if not v.startswith(OID_PREFIX):
                return False
            if one:
                if first is None:
                    first = v
                elif v != first:
                    return False  # a second Study Instance UID
            every.append(v[len(OID_PREFIX):])
    return all_valid(every)


@check("any", fine=_identifiers_fine)
@rule("imaging.study-identifier", ERROR, "DICOM UID identifier not encoded as urn:oid, or more than one Study UID",
      f"{_IDENT_WORDS}; {_ONE_STUDY_WORDS}: so at most one Study Instance UID identifier.")
@reports("imaging.uid")
def dicom_identifiers(s: Subject) -> Iterator[Issue]:
    """Identifiers (and Reference.identifier on derivedFrom / imagingStudy) with system urn:dicom:uid."""
    paths = _identifier_paths(s)
    study_uid_locs = []
    for path in paths:
        for loc, ident in s.walk(path):
            if not isinstance(ident, dict) or ident.get("system") != DICOM_UID_SYSTEM:
                continue
            value = ident.get("value")
            if not isinstance(value, str):
                continue  # a missing value is the structure validator's business
            if not value.startswith(OID_PREFIX):
                yield s.issue("imaging.study-identifier", f"{loc}.value",
                              f"identifier with system {DICOM_UID_SYSTEM} has value {value!r}; it must be "
                              f"{OID_PREFIX}<uid>", _IDENT_WORDS)
                continue
            problem = uid_problem(value[len(OID_PREFIX):])
            if problem is not None:
                yield s.issue("imaging.uid", f"{loc}.value", f"UID {value[len(OID_PREFIX):]!r} {problem}",
                              REQUIREMENT)
            if path == "identifier":
                study_uid_locs.append((loc, value))
    if s.spec["kind"] == "study" and len({v for _, v in study_uid_locs}) > 1:
        first = study_uid_locs[0][1]
        for loc, value in study_uid_locs[1:]:
            if value != first:
                yield s.issue("imaging.study-identifier", loc,
                              f"a second Study Instance UID ({value}) besides {first}: an ImagingStudy "
                              "describes one DICOM study", _ONE_STUDY_WORDS)
