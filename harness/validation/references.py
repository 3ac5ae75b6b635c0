# imaging-harness: compiled
"""Rules on the form of references that no datatype regex carries: conditional references (a search
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
