"""DICOM UID syntax (PS3.5 §9.1) and the FHIR encodings of a UID."""

from __future__ import annotations

import re
from typing import Any

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


# (the alternatives are disjoint by their first character; the longer one first matches faster)
_DICOM_UID = re.compile(r"(?:[1-9][0-9]*|0)(?:\.(?:[1-9][0-9]*|0))*", re.ASCII)


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


def encoded(value: Any, form: str) -> list[tuple[str | None, str | None]]:
    """(uid, problem) for each UID a value carries in the given FHIR form.

    A value the structural validator already rejects (not a string, an oid failing the oid regex)
    gives nothing, so one defect is reported once."""
    if form == "id":
        if isinstance(value, str) and _FHIR_ID.fullmatch(value):
            return [(value, uid_problem(value))]
        return []
    if form == "oid":
        if isinstance(value, str) and _FHIR_OID.fullmatch(value):
            uid = value[len(OID_PREFIX):]
            return [(uid, uid_problem(uid))]
        return []
    if form == "coding":
        out: list[tuple[str | None, str | None]] = []
        codings = value.get("coding") if isinstance(value, dict) and "coding" in value else [value]
        for c in codings if isinstance(codings, list) else ():  # a non-array coding carries no UID
            if not isinstance(c, dict) or not isinstance(c.get("code"), str):
                continue
            code, system = c["code"], c.get("system")
            if code.startswith(OID_PREFIX):
                out.append((code[len(OID_PREFIX):], uid_problem(code[len(OID_PREFIX):])))
            elif system == URI_SYSTEM:
                out.append((None, f"code {code!r} is in system {URI_SYSTEM} (URIs) but is not a URI: "
                                  f"write the UID as {OID_PREFIX}<uid>"))
            else:
                out.append((code, uid_problem(code)))
        return out
    raise ValueError(f"unknown UID form {form!r}")  # pragma: no cover - tables.json is checked by tests


def uids_at(resource: dict, path: str, form: str, root: str) -> list[tuple[str, str | None, str | None]]:
    """(location, uid, problem) for every UID at path."""
    return [(loc, uid, problem) for loc, value in walk(resource, path, root) for uid, problem in encoded(value, form)]


def uids_to_check(found: list, form: str) -> list | None:
    """The UIDs that encoded() would judge in these values (in the given form), for all_valid: when
    all_valid(answer) holds, encoded() gives no problem for any of the values. None: some value
    needs encoded() itself (a CodeableConcept, a code in the URI system). A UID may be given once
    for several values (all_valid does not count).

    'id': the values themselves (a valid DICOM UID is also a valid FHIR id: digits and dots, 1-64
    characters; a value that is not a str fails all_valid). 'oid': the UID after urn:oid: (a value
    failing the FHIR oid regex gives nothing, and its UID is judged only when it passes). 'coding':
    the code of each Coding, less urn:oid:."""
    if form == "id":
        return found
    if form == "oid":
        return [v[len(OID_PREFIX):] for v in found if isinstance(v, str) and v.startswith(OID_PREFIX)]
    out: list = []
    seen: set = set()  # urn:oid: codes given already (an instance's SOP Class repeats)
    for v in found:
        if type(v) is not dict:
            if isinstance(v, dict):
                return None  # a dict subclass (no parser makes one): encoded() judges it
            continue  # encoded() gives nothing for it
        d = v
        if "coding" in d:
            return None
        value = d.get("code")
        if type(value) is not str:
            if isinstance(value, str):
                return None  # a str subclass, likewise
            continue
        code = value
        if code.startswith(OID_PREFIX):
            if code not in seen:
                seen.add(code)
                out.append(code[len(OID_PREFIX):])
        elif d.get("system") == URI_SYSTEM:
            return None
        else:
            out.append(code)
    return out


_DIGITS_AND_DOTS = b"0123456789."
_EMPTY_OR_LEADING_ZERO = re.compile(rb"\.\.|\.0[0-9]")  # both start with a literal dot: a fast scan

try:  # True in the compiled build only (setup.py): Cython answers it when compiling
    import cython
    _COMPILED = cython.compiled
except ImportError:  # pragma: no cover - the source without Cython installed
    _COMPILED = False


def all_valid(uids: list) -> bool:
    """True when every item is a str that is a valid DICOM UID (uid_problem gives None for each).

    Compiled (uids.pxd), one C loop over the characters of each item (_all_valid_scan); from
    source, one pass over all of them at once (_all_valid_joined), which is faster there."""
    return _all_valid_scan(uids) if _COMPILED else _all_valid_joined(uids)


def _all_valid_scan(uids: list) -> bool:
    """all_valid, a character at a time: each item a str of 1 to UID_MAX characters, made of
    components of digits 0-9 split by single dots, none empty, none with a leading zero."""
    for u in uids:
        if type(u) is not str:  # (the C type below takes exactly str)
            if not isinstance(u, str) or not _all_valid_joined([u]):
                return False
            continue
        text = u
        if len(text) > UID_MAX:
            return False
        at_start = True  # at the start of a component: a dot here would make an empty one
        zero_first = False  # the component so far is '0': another digit would be a leading zero
        for ch in text:
            if ch == ".":
                if at_start:
                    return False
                at_start = True
                zero_first = False
            elif "0" <= ch <= "9":
                if zero_first:
                    return False
                zero_first = at_start and ch == "0"
                at_start = False
            else:
                return False
        if at_start:  # empty, or ends with a dot
            return False
    return True


def _all_valid_joined(uids: list) -> bool:
    """all_valid in one pass over all of them: joined with dots between dot sentinels, the
    components of the whole are exactly the components of the items, and every item is valid iff
    no item is longer than UID_MAX and every component of the whole is a non-empty run of digits
    0-9 without a leading zero: only 0-9 and dots, no '..' (an empty component, an empty item, an
    item that starts or ends with a dot) and no '.0' followed by a digit. The tests run on the
    ASCII bytes (bytes.translate deletes the allowed bytes at C speed)."""
    if not uids:
        return True
    try:
        whole = ".".join(uids)
    except TypeError:  # an item that is not a str
        return False
    if not whole.isascii():
        return False
    data = whole.encode("ascii")
    if data.translate(None, _DIGITS_AND_DOTS):
        return False  # something besides 0-9 and dots
    if _EMPTY_OR_LEADING_ZERO.search(b"." + data + b".") is not None:
        return False
    return max(map(len, uids)) <= UID_MAX


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
