# imaging-harness: compiled
"""DICOM UID syntax (PS3.5 §9.1) and the FHIR encodings of a UID."""

from __future__ import annotations

import re
from typing import Any

from harness.imaging.paths import walk

UID_MAX = 64
OID_PREFIX = "urn:oid:"
DICOM_UID_SYSTEM = "urn:dicom:uid"
URI_SYSTEM = "urn:ietf:rfc:3986"
#: what a Coding with system urn:ietf:rfc:3986 and a code without urn:oid: breaks (encoded() gives
#: its problem with no UID): the encoding of the UID, not the UID's syntax
NOT_A_URI_REQUIREMENT = (
    f"Coding.system {URI_SYSTEM} says the code is a URI: RFC 3986 §3 'URI = scheme \":\" hier-part "
    "[ \"?\" query ] [ \"#\" fragment ]'; a DICOM UID written as a URI is urn:oid:<uid> (RFC 3001; FHIR "
    "datatypes, oid: 'An OID represented as a URI'; ImagingStudy R4 (seed 002): 'prefix the UID value "
    "with \"urn:oid:\"').")
# the FHIR oid datatype's own regex; a value failing it is reported by structure.primitive-format
_FHIR_OID = re.compile(r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+", re.ASCII)
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}", re.ASCII)

REQUIREMENT = ("DICOM PS3.5 §9.1 UID Encoding Rules: 'Each component of a UID is a number and shall "
               "consist of one or more digits. The first digit of each component shall not be zero "
               "unless the component is a single digit.' … 'UIDs, shall not exceed 64 total characters.'; "
               "PS3.5 §9: 'The UID identification scheme is based on the OSI Object Identification (numeric "
               "form) as defined by the [ISO/IEC 8824] standard', whose top-level arcs are 0, 1 and 2 "
               "(ISO/IEC 9834-1), with at most 40 arcs (0-39) under 0 and under 1 (ISO/IEC 8825-1 §8.19.4).")

#: the greatest second arc under the top-level arcs 0 (itu-t) and 1 (iso); under 2 any number
SECOND_ARC_MAX = 39

# components of digits without leading zeros, the first one 0, 1 or 2, and under 0 or 1 the second
# one at most 39 (the alternatives are disjoint by their first characters)
_DICOM_UID = re.compile(r"(?:[01]\.(?:[1-3][0-9]|[0-9])|2\.(?:[1-9][0-9]*|0))(?:\.(?:[1-9][0-9]*|0))*|[012]",
                        re.ASCII)


def uid_problem(uid: str) -> str | None:
    """Why uid is not a DICOM UID, or None."""
    if len(uid) <= UID_MAX and _DICOM_UID.fullmatch(uid):
        return None  # the common case, one C-level match
    if len(uid) > UID_MAX:
        return f"is {len(uid)} characters long; a DICOM UID has at most {UID_MAX}"
    comps = uid.split(".")
    for n, comp in enumerate(comps, start=1):
        if comp == "":
            return f"has an empty component (component {n})"
        if not comp.isascii() or not comp.isdigit():
            return f"component {n} ({comp!r}) is not made of digits 0-9"
        if len(comp) > 1 and comp[0] == "0":
            return f"component {n} ({comp!r}) has a leading zero"
    if comps[0] not in ("0", "1", "2"):
        return (f"starts with the arc {comps[0]}: a DICOM UID is an ISO/IEC 8824 object identifier, whose "
                "first arc is 0 (itu-t), 1 (iso) or 2 (joint-iso-itu-t)")
    if comps[0] != "2" and len(comps) > 1 and int(comps[1]) > SECOND_ARC_MAX:
        return (f"has the second arc {comps[1]} under the first arc {comps[0]}: under 0 and 1 an object "
                f"identifier's second arc is at most {SECOND_ARC_MAX}")
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
            elif system == URI_SYSTEM:  # the only problem given without a UID: see NOT_A_URI
                out.append((None, f"code {code!r} has system {URI_SYSTEM}, which makes the code a URI, but it "
                                  "has no URI scheme: a DICOM UID in that system is written "
                                  f"{OID_PREFIX}{code if uid_problem(code) is None else '<uid>'}"))
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


_DIGITS_DOTS_SLASHES = b"0123456789./"
# with the items joined by '/' between '/' sentinels: an empty component or item, a leading zero, a
# first arc other than 0-2, a second arc above 39 under 0 or 1
_BAD_JOINED = re.compile(rb"[./][./]|[./]0[0-9]|/(?:[3-9]|[0-2][0-9])|/[01]\.(?:[4-9][0-9]|[0-9]{3})")

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
        comp = 0  # the index of the component
        arc = 0  # the value of the second component so far, under a first arc 0 or 1
        bounded = False  # the first arc is 0 or 1: the second is at most SECOND_ARC_MAX
        for ch in text:
            if ch == ".":
                if at_start:
                    return False
                at_start = True
                zero_first = False
                comp += 1
            elif "0" <= ch <= "9":
                if zero_first:
                    return False
                if comp == 0:
                    if not at_start or ch > "2":  # the first arc is one digit, 0 to 2
                        return False
                    bounded = ch != "2"
                elif comp == 1 and bounded:
                    arc = arc * 10 + (ord(ch) - 48)
                    if arc > SECOND_ARC_MAX:
                        return False
                zero_first = at_start and ch == "0"
                at_start = False
            else:
                return False
        if at_start:  # empty, or ends with a dot
            return False
    return True


def _all_valid_joined(uids: list) -> bool:
    """all_valid in one pass over all of them: joined with '/' between '/' sentinels (no item may
    hold a '/' of its own), the components of the items are the runs between dots and slashes, and
    every item is valid iff no item is longer than UID_MAX, only 0-9, dots and slashes occur, and
    _BAD_JOINED finds no empty component or item, no leading zero and no top-level arc out of range
    (each item starts right after a '/'). The tests run on the ASCII bytes (bytes.translate deletes
    the allowed bytes at C speed)."""
    if not uids:
        return True
    try:
        whole = "/".join(uids)
    except TypeError:  # an item that is not a str
        return False
    if not whole.isascii() or whole.count("/") != len(uids) - 1:
        return False
    data = whole.encode("ascii")
    if data.translate(None, _DIGITS_DOTS_SLASHES):
        return False  # something besides 0-9, dots and the joining slashes
    if _BAD_JOINED.search(b"/" + data + b"/") is not None:
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
