# imaging-harness: compiled
"""Native versions of the hot datatype invariants, keyed by their exact FHIRPath expression.

These constraints sit on Reference, Coding, Identifier, ContactPoint, Attachment and Quantity, so
they run many times per resource; in fhirpathpy each costs about 70 µs. Keying by the expression
text (not by the key) means a version whose expression differs simply falls back to fhirpathpy,
and tests/validation/test_native_invariants.py proves each function agrees with fhirpathpy on every fixture
and on the official imaging examples.

Each function takes (value, root resource) and returns True (holds) or False (violated).
"""

from __future__ import annotations

from typing import Callable


def _has(name: str) -> str:
    """FHIRPath name.exists() as Python source over the element {v}: the element is present (a
    primitive counts with only its _name)."""
    return f"({name!r} in {{v}} or {'_' + name!r} in {{v}})"


def _native(source: str) -> Callable[[dict, object], bool]:
    """A native from its Python source over the element {v}. The fast path's generated code
    writes the same source in place (``fn.inline``), so the two cannot differ."""
    fn = eval(f"lambda v, root: {source.format(v='v')}")  # noqa: S307 - our own constant source
    fn.inline = source
    return fn


def _ref1(v: dict, root) -> bool:
    """ref-1 in all its wordings. A bare '#' passes in each: substring(1) of '#' is empty (the
    start lies outside the string), so the 'in' is empty and the whole 'or' is empty, not false."""
    ref = v.get("reference")
    if not isinstance(ref, str) or not ref.startswith("#") or ref == "#":
        return True
    root = root if isinstance(root, dict) else {}
    return ref[1:] in {c.get("id") for c in root.get("contained") or () if isinstance(c, dict)}


NATIVE_EXPRESSIONS: dict[str, Callable[[dict, object], bool]] = {
    # Reference ref-1, R4 / R4B / R5 wordings
    "reference.startsWith('#').not() or (reference.substring(1).trace('url') in "
    "%rootResource.contained.id.trace('ids'))": _ref1,
    "reference.startsWith('#').not() or (reference.substring(1).trace('url') in "
    "%rootResource.contained.id.trace('ids')) or (reference='#' and %rootResource!=%resource)": _ref1,
    "reference.exists()  implies (reference.startsWith('#').not() or (reference.substring(1).trace('url') in "
    "%rootResource.contained.id.trace('ids')) or (reference='#' and %rootResource!=%resource))": _ref1,
    # STU3 3.0.2 wording: %resource there is the resource the element is in, which inside a contained
    # resource is the contained one, whose local references name its container's other contained
    # resources ("SHALL have a contained resource if a local reference is provided"); R4 wrote
    # %rootResource for exactly this, so the STU3 wording is evaluated with R4's meaning
    "reference.startsWith('#').not() or (reference.substring(1).trace('url') in "
    "%resource.contained.id.trace('ids'))": _ref1,
    # Reference ref-2 (R5)
    "reference.exists() or identifier.exists() or display.exists() or extension.exists()":
        _native(f"{_has('reference')} or 'identifier' in {{v}} or {_has('display')} or 'extension' in {{v}}"),
    # Coding cod-1 (R5)
    "code.exists().not() implies display.exists().not()": _native(f"{_has('code')} or not {_has('display')}"),
    # Identifier ident-1 (R5)
    "value.exists()": _native(_has("value")),
    # ContactPoint cpt-2, Attachment att-1, Quantity qty-3
    "value.empty() or system.exists()": _native(f"not {_has('value')} or {_has('system')}"),
    "data.empty() or contentType.exists()": _native(f"not {_has('data')} or {_has('contentType')}"),
    "code.empty() or system.exists()": _native(f"not {_has('code')} or {_has('system')}"),
}
