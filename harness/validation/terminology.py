# imaging-harness: compiled
"""Binding checks against value sets expanded from the definitions.

required: the code (or one coding of a CodeableConcept) SHALL be in the value set -> error.
extensible: when no coding comes from the value set -> warning, only where the set is expandable.
Value sets that include a grammar-defined system whole (BCP-13 MIME types, BCP-47 languages) are
checked against the grammar; a required binding that cannot be expanded is reported as unchecked.
Codes the specification's prose allows besides a value set's compose (prose_codes.json: xml, json
and ttl where MIME types are bound) are members of that value set wherever it is bound.
"""

from __future__ import annotations

import json
import re
from importlib import resources as _res
from typing import TYPE_CHECKING

from harness.validation.issues import ERROR, INFORMATION, WARNING

if TYPE_CHECKING:  # pragma: no cover
    from harness.validation.compiler import Child
    from harness.validation.structure import Walker

# RFC 6838 type/subtype, with optional parameters (BCP-13)
_MIME = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
                   r"(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=(\"[^\"]*\"|[A-Za-z0-9!#$&^_.+-]+))*")
# RFC 5646 language tag, structural form (BCP-47)
_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z]{3}){0,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?"
                   r"(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*(-[0-9A-WY-Za-wy-z](-[A-Za-z0-9]{2,8})+)*"
                   r"(-x(-[A-Za-z0-9]{1,8})+)?|x(-[A-Za-z0-9]{1,8})+|i-[A-Za-z]{2,8}")
GRAMMARS = {"urn:ietf:bcp:13": _MIME, "urn:ietf:bcp:47": _LANG}
#: value set url -> {"system", "codes", "requirement"}: codes its elements' definitions allow in prose
PROSE_CODES: dict[str, dict] = json.loads(
    _res.files("harness.validation").joinpath("prose_codes.json").read_text(encoding="utf-8"))["valuesets"]


class Expansion:
    """A compiled value set: membership by (system, code) and by code alone."""

    __slots__ = ("url", "name", "expandable", "reason", "pairs", "codes", "grammars")

    def __init__(self, url: str, vs: dict | None):
        self.url = url
        vs = vs or {}
        self.name = vs.get("name") or url
        self.expandable = bool(vs.get("expandable"))
        self.reason = vs.get("reason") or ("not in the definitions" if not vs else "")
        self.pairs: set[tuple[str, str]] = set()
        self.codes: set[str] = set()
        for system, codes in (vs.get("codes") or {}).items():
            for c in codes:
                self.pairs.add((system, c))
                self.codes.add(c)
        extra = PROSE_CODES.get(url) if vs else None
        if extra is not None:
            for c in extra["codes"]:
                self.pairs.add((extra["system"], c))
                self.codes.add(c)
        self.grammars = [(s, GRAMMARS[s]) for s in vs.get("external") or () if s in GRAMMARS]
        if vs.get("external") and len(self.grammars) != len(vs["external"]):
            self.expandable = False
            self.reason = self.reason or f"includes {', '.join(vs['external'])} whole"

    def has_code(self, code: str) -> bool:
        if not isinstance(code, str):
            return False
        return code in self.codes or any(g.fullmatch(code) for _, g in self.grammars)

    def has_coding(self, system: str | None, code: str | None) -> bool:
        if not isinstance(code, str):
            return False
        if not isinstance(system, str):
            return False
        if (system, code) in self.pairs:
            return True
        return any(s == system and g.fullmatch(code) for s, g in self.grammars)


_CACHE: dict[tuple[str, str], Expansion] = {}


def expansion(defs, url: str) -> Expansion:
    """The compiled value set, once per (version, url)."""
    key = (defs.name, url)
    exp = _CACHE.get(key)
    if exp is None:
        exp = Expansion(url, defs.valueset(url))
        _CACHE[key] = exp
    return exp


def _bound_value(type_code: str, value) -> tuple[str, object] | None:
    """(type, value) a binding is checked on, or None when there is nothing to check (a
    CodeableReference without concept, a Quantity without code, a wrong JSON kind: the walk's)."""
    t = type_code
    if t == "CodeableReference":
        value = value.get("concept") if isinstance(value, dict) else None
        if value is None:
            return None
        t = "CodeableConcept"
    if t in ("CodeableConcept", "Coding", "Quantity"):
        if not isinstance(value, dict) or (t == "Quantity" and value.get("code") is None):
            return None
    elif not isinstance(value, str):
        return None
    return t, value


def _codings(cc: dict) -> list[dict]:
    coding = cc.get("coding")
    return [c for c in coding if isinstance(c, dict)] if isinstance(coding, list) else []


def in_value_set(exp: Expansion, type_code: str, value) -> bool | None:
    """Whether a bound element's value is in the value set; None when there is nothing to check."""
    bound = _bound_value(type_code, value)
    if bound is None:
        return None
    t, value = bound
    if t == "CodeableConcept":
        return any(exp.has_coding(c.get("system"), c.get("code")) for c in _codings(value))  # type: ignore[arg-type]
    if t in ("Coding", "Quantity"):
        return exp.has_coding(value.get("system"), value.get("code"))  # type: ignore[union-attr]
    return exp.has_code(value)  # type: ignore[arg-type]


def silent_miss(strength: str, exp: Expansion) -> bool:
    """A value outside the set is not reported: an extensible binding to a set known only by its
    code grammars (check() below reports a miss only for required, or for an expandable set)."""
    return strength != "required" and not exp.expandable


def check(walker: "Walker", child: "Child", value, here: str) -> None:
    strength, url = child.binding  # type: ignore[misc]
    exp = expansion(walker.defs, url)
    if not exp.expandable and not exp.grammars:
        if strength == "required":
            walker.add(INFORMATION, "binding.unchecked", here,
                       f"required binding to {exp.name} not checked: {exp.reason}",
                       walker.req(child, f"binding required to {url}"))
        return
    if in_value_set(exp, child.type_code, value) is not False or silent_miss(strength, exp):
        return
    t, bound = _bound_value(child.type_code, value)  # type: ignore[misc]
    if t == "CodeableConcept":
        shown = ", ".join(f"{c.get('system')}|{c.get('code')}" for c in _codings(bound)) or "no coding (text only)"
    elif t in ("Coding", "Quantity"):
        shown = f"{bound.get('system')}|{bound.get('code')}"
    else:
        shown = repr(bound)
    if strength == "required":
        walker.add(ERROR, "binding.required", here, f"{shown} is not in the required value set {exp.name} ({url})",
                   walker.req(child, f"binding required to {url}"))
    else:
        walker.add(WARNING, "binding.extensible", here,
                   f"{shown} is not from the extensible value set {exp.name} ({url})",
                   walker.req(child, f"binding extensible to {url}"))
