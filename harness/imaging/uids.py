"""DICOM UID syntax (PS3.5 §9.1) and the FHIR encodings of a UID."""

from __future__ import annotations

import re
from typing import Any, Iterator

from harness.imaging.paths import walk

UID_MAX = 64
OID_PREFIX = "urn:oid:"
DICOM_UID_SYSTEM = "urn:dicom:uid"
URI_SYSTEM = "urn:ietf:rfc:3986"
# the FHIR oid datatype's own regex; a value failing it is reported by structure.primitive-format
_FHIR_OID = re.compile(r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+", re.ASCII)
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}", re.ASCII)

REQUIREMENT = ("DICOM PS3.5 §9.1 UID Encoding Rules: 'Each component of a UID is a number and shall "
               "consist of one or more digits. The first digit of each component shall not be zero "
               "unless the component is a single digit.' … 'UIDs, shall not exceed 64 total characters.'")


_DICOM_UID = re.compile(r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*", re.ASCII)


def uid_problem(uid: str) -> str | None:
    """Why uid is not a DICOM UID, or None."""
    if len(uid) <= UID_MAX and _DICOM_UID.fullmatch(uid):
        return None  # the common case, one C-level match
    if len(uid) > UID_MAX:
        return f"is {len(uid)} characters long; a DICOM UID has at most {UID_MAX}"
    for n, comp in enumerate(uid.split("."), start=1):
        if comp == "":
            return f"has an empty component (component {n})"
        if not comp.isascii() or not comp.isdigit():
            return f"component {n} ({comp!r}) is not made of digits 0-9"
        if len(comp) > 1 and comp[0] == "0":
            return f"component {n} ({comp!r}) has a leading zero"
    return None


def encoded(value: Any, form: str) -> Iterator[tuple[str | None, str | None]]:
    """(uid, problem) for each UID a value carries in the given FHIR form.

    A value the structural validator already rejects (not a string, an oid failing the oid regex)
    yields nothing, so one defect is reported once."""
    if form == "id":
        if isinstance(value, str) and _FHIR_ID.fullmatch(value):
            yield value, uid_problem(value)
    elif form == "oid":
        if isinstance(value, str) and _FHIR_OID.fullmatch(value):
            uid = value[len(OID_PREFIX):]
            yield uid, uid_problem(uid)
    elif form == "coding":
        for c in (value.get("coding") if isinstance(value, dict) and "coding" in value else [value]) or ():
            if not isinstance(c, dict) or not isinstance(c.get("code"), str):
                continue
            code, system = c["code"], c.get("system")
            if code.startswith(OID_PREFIX):
                yield code[len(OID_PREFIX):], uid_problem(code[len(OID_PREFIX):])
            elif system == URI_SYSTEM:
                yield None, (f"code {code!r} is in system {URI_SYSTEM} (URIs) but is not a URI: "
                             f"write the UID as {OID_PREFIX}<uid>")
            else:
                yield code, uid_problem(code)
    else:  # pragma: no cover - tables.json is checked by tests
        raise ValueError(f"unknown UID form {form!r}")


def uids_at(resource: dict, path: str, form: str, root: str) -> Iterator[tuple[str, str | None, str | None]]:
    """(location, uid, problem) for every UID at path."""
    for loc, value in walk(resource, path, root):
        for uid, problem in encoded(value, form):
            yield loc, uid, problem


def study_uids(study: dict) -> list[str]:
    """The Study Instance UIDs an ImagingStudy carries (identifier system urn:dicom:uid)."""
    idents = study.get("identifier")
    return [u for u in map(identifier_uid, idents if isinstance(idents, list) else []) if u is not None]


def identifier_uid(ident: Any) -> str | None:
    """The UID of an Identifier with system urn:dicom:uid and value urn:oid:<uid>, else None."""
    if isinstance(ident, dict) and ident.get("system") == DICOM_UID_SYSTEM:
        v = ident.get("value")
        if isinstance(v, str) and v.startswith(OID_PREFIX):
            return v[len(OID_PREFIX):]
    return None
