# imaging-harness: compiled
"""The invariant pass: every constraint collected by the structural walk is evaluated, natively for
the universal ones (dom-2..dom-6, ext-1, txt-1/txt-2: they run on every resource, so they are Python
functions proven against the FHIRPath originals by tests), with fhirpathpy for all the others.
"""

from __future__ import annotations

import re
from typing import Callable

from harness.validation.compiler import Constraint
from harness.validation.datetimes import period_ok
from harness.validation.issues import ERROR, INFORMATION, WARNING, Issue
from harness.validation.narrative import check_div
from harness.validation.native import NATIVE_EXPRESSIONS
from harness.validation.structure import Pending


def _contained(v: dict) -> list[dict]:
    contained = v.get("contained")
    return [r for r in contained if isinstance(r, dict)] if isinstance(contained, list) else []


def _dom2(v: dict, refs=None) -> bool:
    return not any(r.get("contained") for r in _contained(v))


def _dom3(v: dict, refs) -> bool:
    """refs(resource) -> the '#...' values of its Reference.reference, uri, url and canonical
    elements, collected by the structural walk (which knows the types)."""
    contained = _contained(v)
    if not contained:
        return True
    present = set(refs(v))
    for r in contained:
        present |= refs(r)
    for r in contained:
        if "#" + str(r.get("id")) in present or "#" in refs(r):
            continue
        return False
    return True


def _meta(r: dict) -> dict:
    m = r.get("meta")
    return m if isinstance(m, dict) else {}


def _dom4(v: dict, refs=None) -> bool:
    return all("versionId" not in _meta(r) and "lastUpdated" not in _meta(r) for r in _contained(v))


def _dom5(v: dict, refs=None) -> bool:
    return all("security" not in _meta(r) for r in _contained(v))


def _dom6(v: dict, refs=None) -> bool:
    t = v.get("text")
    return isinstance(t, dict) and "div" in t


def _ext1(v: dict, refs=None) -> bool:
    has_value = any(k.startswith(("value", "_value")) for k in v)
    return has_value != bool(v.get("extension"))


#: (constraint source type, key) -> native check of the element value
NATIVE: dict[tuple[str, str], Callable[..., bool]] = {
    ("DomainResource", "dom-2"): _dom2,
    ("DomainResource", "dom-3"): _dom3,
    ("DomainResource", "dom-4"): _dom4,
    ("DomainResource", "dom-5"): _dom5,
    ("DomainResource", "dom-6"): _dom6,
    ("Extension", "ext-1"): _ext1,
    # R4's per-1 compares start <= end; R5's compares start.lowBoundary() <= end.highBoundary():
    # both mean the period may not end before it starts, computed on instants, not on strings
    ("Period", "per-1"): lambda v, refs=None: period_ok(v),
}
NARRATIVE_KEYS = {("Narrative", "txt-1"), ("Narrative", "txt-2")}

_BY_KEY, _BY_EXPRESSION, _GENERAL = "by-key", "by-expression", "general"
#: by-key natives that read only the element itself (dom-* need the whole resource's '#' references)
ELEMENT_ONLY = frozenset({("Extension", "ext-1"), ("Period", "per-1")})
MAX_SHARED_VIOLATIONS = 4096
_SEVERITY = {"error": ERROR, "warning": WARNING, "information": INFORMATION}


class InvariantPass:
    def __init__(self, version: str, label: str, membership, native: bool = True):
        self._native = native
        self._version = version
        self._evaluator = None  # fhirpathpy is imported when an expression first needs it (start-up)
        self.label = label
        self.membership = membership
        self._compiled: dict[int, tuple] = {}  # id(constraints tuple) -> _compile's entry
        # (id(constraint), location) -> (constraint, its violation there): an Issue is immutable, so
        # the dom-6 warning of every resource without narrative is one object (fewer objects made,
        # and an NDJSON worker's chunk pickles it once)
        self._violations: dict[tuple[int, str], tuple[Constraint, Issue]] = {}

    @property
    def evaluator(self):
        if self._evaluator is None:
            from harness.validation.fhirpath import Evaluator

            self._evaluator = Evaluator(self._version)
        return self._evaluator

    def run(self, pending: list[Pending], bundle: dict | None, local_refs: dict | None = None) -> list[Issue]:
        issues: list[Issue] = []
        table = local_refs or {}

        def refs(r: dict) -> set[str]:
            return table.get(id(r), set())
        compiled = self._compiled
        for p in pending:
            cons = p.constraints
            entry = compiled.get(id(cons))
            if entry is None or entry[0] is not cons:
                entry = self._compile(cons)
            value = p.value
            for c, kind, fn in entry[1]:
                if kind is _GENERAL or value.__class__ is not dict:
                    self._one(c, p, bundle, refs, issues)
                elif kind is _BY_EXPRESSION:
                    if not fn(value, p.root):
                        issues.append(self._violation(c, p))
                elif c.key != "dom-6" or value is p.root:  # contained resources: the container's text
                    if not fn(value, refs):
                        issues.append(self._violation(c, p))
        return issues

    def element_natives(self, cons: tuple) -> list[tuple[Callable, bool]] | None:
        """[(function, takes the root)] when every constraint of an element is evaluated natively
        from the element alone (ref-1, ref-2, cod-1, ident-1, ext-1, per-1...), so the structural
        fast path can evaluate them in place; None when this pass must."""
        entry = self._compiled.get(id(cons))
        return (entry if entry is not None and entry[0] is cons else self._compile(cons))[2]

    def _compile(self, cons: tuple) -> tuple:
        """(constraints, [(constraint, kind, function)] with each key once, element_natives), once
        per constraints tuple (kept in the entry, so its id cannot be reused while cached)."""
        seen: set[str] = set()
        plans = []
        for c in cons:
            if c.key not in seen:
                seen.add(c.key)
                plans.append(self._plan(c))
        natives: list | None = [(fn, kind is _BY_EXPRESSION) for c, kind, fn in plans
                                if kind is _BY_EXPRESSION or (kind is _BY_KEY and (c.source, c.key) in ELEMENT_ONLY)]
        if not cons or len(natives) != len(plans):
            natives = None
        entry = (cons, plans, natives)
        if len(self._compiled) < 100_000:
            self._compiled[id(cons)] = entry
        return entry

    @property
    def native(self) -> bool:
        """False: every expression-keyed native goes through fhirpathpy (tests and benchmarks compare)."""
        return self._native

    @native.setter
    def native(self, value: bool) -> None:
        self._native = value
        self._compiled.clear()

    def _plan(self, c: Constraint) -> tuple:
        """How a constraint is evaluated: natively by key, natively by expression, or in _one."""
        ident = (c.source, c.key)
        if ident in NARRATIVE_KEYS:
            return c, _GENERAL, None
        if ident in NATIVE:
            return c, _BY_KEY, NATIVE[ident]
        if self._native and c.expression in NATIVE_EXPRESSIONS:
            return c, _BY_EXPRESSION, NATIVE_EXPRESSIONS[c.expression]
        return c, _GENERAL, None

    def _violation(self, c: Constraint, p: Pending) -> Issue:
        known = self._violations.get((id(c), p.location))
        if known is not None and known[0] is c:
            return known[1]
        issue = Issue(_SEVERITY.get(c.severity, ERROR), f"invariant.{c.key}", p.location,
                      f"{c.key}: {c.human}", self._requirement(c))
        if len(self._violations) < MAX_SHARED_VIOLATIONS:  # bounded: locations of a hostile input vary
            self._violations[(id(c), p.location)] = (c, issue)
        return issue

    def _requirement(self, c: Constraint) -> str:
        return f"{self.label} {c.owner}: {c.key} '{c.human}'"

    def _one(self, c: Constraint, p: Pending, bundle: dict | None, refs, issues: list[Issue]) -> None:
        ident = (c.source, c.key)
        if ident in NARRATIVE_KEYS:
            if c.key == "txt-1":  # one parse reports all narrative problems
                for prob in check_div(p.value):
                    rule = "narrative.xhtml" if prob.key == "xhtml" else f"invariant.{prob.key}"
                    issues.append(Issue(prob.severity, rule, p.location, prob.message, self._requirement(c)))
            return
        # the natives ran in run(); here: fhirpathpy, and natives given a non-object value
        from harness.validation.fhirpath import EvalContext, NotEvaluable

        ctx = EvalContext(root=p.root, resource=p.resource, bundle=bundle, membership=self.membership)
        try:
            result = self.evaluator.evaluate(c.expression, p.value, p.type_path, ctx)
        except NotEvaluable as e:
            issues.append(Issue(WARNING, "invariant.not-evaluated", p.location,
                                f"{c.key} could not be evaluated: {e}", self._requirement(c)))
            return
        except Exception as e:  # an engine failure on this input: say so, never pass silently
            issues.append(Issue(WARNING, "invariant.not-evaluated", p.location,
                                f"{c.key} could not be evaluated ({type(e).__name__}: {_stable(str(e))[:200]})",
                                self._requirement(c)))
            return
        ok = _truthy(result)
        if ok is None:
            issues.append(Issue(WARNING, "invariant.not-evaluated", p.location,
                                f"{c.key} did not evaluate to a boolean (got {str(result)[:120]})",
                                self._requirement(c)))
            return
        if not ok:
            issues.append(self._violation(c, p))


def _truthy(result) -> bool | None:
    if result == [] or result is None:
        return True  # an empty result does not show a violation (FHIRPath: empty is not false)
    if isinstance(result, list) and len(result) == 1 and isinstance(result[0], bool):
        return result[0]
    return None


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _stable(text: str) -> str:
    """An engine's message without object addresses ('<... object at 0x7f...>'), so that the same
    input gives the same message in every process."""
    return _ADDRESS.sub("", text)
