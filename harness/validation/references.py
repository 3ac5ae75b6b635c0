# imaging-harness: compiled
r"""FHIR ids and references, read in one place: the id grammar, literal references (`Type/id`,
versioned, absolute), conditional references and Bundle.entry.fullUrl. Every part of the harness that
parses an id or a reference imports it from here (validation, imaging, the search oracle, the engine,
the reference server).

FHIR datatypes, id: regex [A-Za-z0-9\-\.]{1,64} (its words: the rule structure.resource-id in
catalog.py).
FHIR references.html §Literal references: 'a relative URL, which is relative to the Service Base URL,
or an absolute URL', of the form [type]/[id], optionally /_history/[vid].

Two readings of a literal reference are kept, as their callers need them (both take the type and id
from the end of the text): `type_and_id` finds `Type/id` after the start or any '/' (the imaging rules,
the search oracle), and `parse_reference` also returns the base before it and reads the text as one
line (the reference server's index: a base holding a line break does not parse).

Rules on the form of references that no datatype regex carries: conditional references (a search
URL in place of a literal reference, allowed only in a transaction, with a well-formed query) and
absolute Bundle.entry.fullUrl values.

FHIR http.html §Transaction Processing Rules (STU3, R4, R5): 'in a transaction (and only in a
transaction), references to resources may be replaced by a search URI that describes how to find
the correct reference'; 'The search URI is relative to the server's [base] path, and always starts
with a resource type: [type]:?parameters....'
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from harness.validation.issues import ERROR, Issue

CONDITIONAL_WORDS = ("http.html §Transaction Processing Rules: 'in a transaction (and only in a transaction), "
                     "references to resources may be replaced by a search URI that describes how to find the "
                     "correct reference'; 'The search URI ... always starts with a resource type: "
                     "[type]:?parameters....'")
FULL_URL_WORDS = ("Bundle.entry.fullUrl: 'The Absolute URL for the resource.' (RFC 3986 §4.3: absolute-URI = "
                  "scheme \":\" hier-part)")
#: the id datatype's regex as the definitions write it (codegen.SCANS keys a C loop by this text)
ID_REGEX = r"[A-Za-z0-9\-\.]{1,64}"
ID_RE = re.compile(ID_REGEX, re.ASCII)
#: a resource type name as an id the harness addresses may start with (engine/ids.ref_problem)
TYPE_RE = re.compile(r"[A-Z][A-Za-z]{0,63}", re.ASCII)
_TYPE = r"[A-Z][A-Za-z]+"
_ID = r"[A-Za-z0-9\-.]{1,64}"
_TYPE_ID = re.compile(rf"(?:^|/)({_TYPE})/({_ID})(?:/_history/{_ID})?$")
_LITERAL = re.compile(rf"^(?:(.*)/)?({_TYPE})/({_ID})(?:/_history/{_ID})?$")
_AT_END = re.compile(r"[A-Z][A-Za-z]+/[^/]+(?:/_history/[^/]+)?$")  # of a fullUrl: any id text


def is_id(value: str) -> bool:
    """Whether a str is a FHIR id (the datatype's regex)."""
    return ID_RE.fullmatch(value) is not None


def type_and_id(reference: str) -> tuple[str, str] | None:
    """('ImagingStudy', '123') from 'ImagingStudy/123', a versioned or an absolute reference."""
    m = _TYPE_ID.search(reference)
    return (m.group(1), m.group(2)) if m else None


def named_type(ref: str) -> str | None:
    """The resource type a reference names by its path (`Type/id`, absolute, versioned, with a query),
    read leniently (a capitalised segment before the last one, whatever the id): None for a local
    (`#`) or `urn:` reference and for one without two segments."""
    if ref.startswith(("#", "urn:")):
        return None
    parts = ref.split("?")[0].rstrip("/").split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2 and parts[-2][:1].isupper():
        return parts[-2]
    return None


def parse_reference(ref: str) -> tuple[str | None, str | None, str | None] | None:
    """(type, id, base) of a literal reference; base None for a relative one."""
    m = _LITERAL.match(ref)
    if not m:
        return None
    return m.group(2), m.group(3), m.group(1)


def service_base(full_url: str) -> str:
    """What precedes `Type/id[/_history/vid]` at the end of a fullUrl: the server base (with its
    trailing '/') that a relative reference in that entry is read against (bundle.html#references)."""
    return _AT_END.sub("", full_url)


# a search parameter name, with modifiers and chains (HL7's reference validator accepts the same)
_PARAM_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9.:-]*", re.ASCII)
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]+", re.ASCII)


def conditional_type(defs, reference: str) -> str | None:
    """The resource type of a conditional reference 'Type?query', or None when it is not one."""
    head, sep, _ = reference.partition("?")
    return head if sep and defs.kind(head) == "resource" else None


def query_problem(query: str) -> str | None:
    """Why the query of a conditional reference is not name=value parameters joined by '&', or None."""
    if not query:
        return "it has no parameters"
    for part in query.split("&"):
        name, sep, value = part.partition("=")
        if not sep:
            return f"the parameter {part!r} has no '=' and value"
        if not _PARAM_NAME.fullmatch(unquote(name)):
            return f"{unquote(name)!r} is not a search parameter name"
        if "=" in unquote(value):
            return f"the value of {unquote(name)} holds '='"
    return None


def conditional_problem(defs, reference: str, in_transaction: bool) -> str | None:
    """Why a Reference.reference that is a conditional reference is wrong here, or None (also for a
    reference that is not conditional)."""
    rtype = conditional_type(defs, reference)
    if rtype is None:
        return None
    if not in_transaction:
        return (f"{reference!r} is a conditional reference (a search for a {rtype}): it is only allowed in an "
                "entry of a transaction Bundle, which the server resolves to one resource")
    problem = query_problem(reference.partition("?")[2])
    if problem is not None:
        return f"the query of the conditional reference {reference!r} is not a valid search query: {problem}"
    return None


def in_transaction(bundle: dict | None, root: dict | None) -> bool:
    """Whether references are read inside a transaction: the resource is an entry of a transaction
    Bundle (validated with it), or the entries are walked inside the transaction Bundle itself."""
    return any(isinstance(b, dict) and b.get("resourceType") == "Bundle" and b.get("type") == "transaction"
               for b in (bundle, root))


def full_url_issues(resource: dict, label: str) -> list[Issue]:
    """Bundle.entry.fullUrl values that are not absolute URIs."""
    entries = resource.get("entry") if resource.get("resourceType") == "Bundle" else None
    out: list[Issue] = []
    for i, entry in enumerate(entries if isinstance(entries, list) else ()):
        url = entry.get("fullUrl") if isinstance(entry, dict) else None
        if isinstance(url, str) and url and not _ABSOLUTE.fullmatch(url):
            out.append(Issue(ERROR, "bundle.full-url", f"Bundle.entry[{i}].fullUrl",
                             f"fullUrl {url!r} is not an absolute URL: it has no scheme (such as https: "
                             "or urn:uuid:)", f"{label} {FULL_URL_WORDS}"))
    return out
