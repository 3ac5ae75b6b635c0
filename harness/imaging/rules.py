# imaging-harness: compiled
"""The imaging rule registry: small named checks with one signature, chosen by resource kind.

A check is ``fn(subject) -> Iterable[Issue]``, registered with ``@check(kind, ...)``. Which
resource types are which kind, and where each element lives, is data (``tables.json``); the checks
never test a version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources as _res
from typing import Callable, Iterable

from harness import definitions
from harness.imaging import paths
from harness.imaging.context import NoResolver, Resolver, type_and_id
from harness.validation import terminology
from harness.validation.catalog import get as rule_of
from harness.validation.issues import Issue

Check = Callable[["Subject"], Iterable[Issue]]
Verdict = Callable[["Subject"], bool]
_CHECKS: dict[str, list[tuple[Verdict | None, Check]]] = {}
_PLANS: dict[str, tuple[tuple[Verdict | None, Check], ...]] = {}  # kind -> what run() calls, in order
GUARDED: list[tuple[Check, Verdict, tuple[str, ...]]] = []  # (check, its fine verdict, kinds), for the tests


def check(*kinds: str, fine: Verdict | None = None) -> Callable[[Check], Check]:
    """Register a check for these kinds of resource.

    fine: a quick verdict for the common case, True only when the check would report nothing
    (it looks at values without building locations or messages). run() then skips the check; when
    the verdict is False the check runs as written, so every issue still comes from the check.
    tests/imaging/test_imaging_verdicts.py holds each verdict to that on every fixture and many mutations."""
    def register(fn: Check) -> Check:
        for k in kinds:
            _CHECKS.setdefault(k, []).append((fine, fn))
        if fine is not None:
            GUARDED.append((fn, fine, kinds))
        _PLANS.clear()
        return fn
    return register


def _plan(kind: str) -> tuple[tuple[Verdict | None, Check], ...]:
    """(fine verdict or None, check) for each check of this kind of resource, in order."""
    plan = _PLANS.get(kind)
    if plan is None:
        plan = _PLANS[kind] = tuple(_CHECKS.get("any", []) + _CHECKS.get(kind, []))
    return plan


@lru_cache(maxsize=1)
def _tables() -> dict:
    return json.loads(_res.files("harness.imaging").joinpath("tables.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def table(version: str) -> dict[str, dict]:
    """resource type -> spec for this version, with 'inherits' applied."""
    versions = _tables()["versions"]
    own = versions.get(version, {})
    base = dict(table(own["inherits"])) if "inherits" in own else {}
    base.update({k: v for k, v in own.items() if not k.startswith("_") and k != "inherits"})
    return base


#: the kinds of resource whose checks look studies up (a selection's study, a manifest's studies);
#: the other kinds resolve Endpoints only
STUDY_RESOLVING_KINDS = ("selection", "manifest")


@lru_cache(maxsize=1)
def types_resolving_studies() -> frozenset[str]:
    """Resource types that, in some version, have checks that look an ImagingStudy up."""
    return frozenset(rtype for version in _tables()["versions"] for rtype, spec in table(version).items()
                     if isinstance(spec, dict) and spec.get("kind") in STUDY_RESOLVING_KINDS)


@lru_cache(maxsize=1)
def geometry() -> dict[str, dict]:
    """Graphic type -> its definition (shared: read it, do not change it)."""
    return {k: v for k, v in _tables()["geometry"].items() if not k.startswith("_")}


@dataclass(slots=True, eq=False)
class Subject:
    """One resource under imaging rules, with what the rules need to know about its context.

    Several checks walk the same paths of the resource (series, series.instance, ...): walk,
    items and values below answer each path once per resource, from the answer for its parent
    path, and are exactly paths.walk / items / values of the resource (the checks never change
    the resource; the lists returned are shared, so they must not be changed either)."""
    resource: dict
    rtype: str
    version: str
    spec: dict
    resolver: Resolver
    full_url: str | None
    _seen: dict = field(default_factory=dict, repr=False)
    _walked: dict = field(default_factory=dict, repr=False)  # path -> walk(path)
    _values: dict = field(default_factory=dict, repr=False)  # path -> values(path)

    def walk(self, path: str) -> list[tuple[str, object]]:
        """paths.walk(self.resource, path, self.rtype): answered once per path, one step from the
        parent path's answer (a top-level element: paths.walk itself)."""
        hit = self._walked.get(path)
        if hit is None:
            parent, _, last = path.rpartition(".")
            hit = self._walked[path] = (paths.step_with_locations(self.walk(parent), last) if parent
                                        else paths.walk(self.resource, path, self.rtype))
        return hit

    def items(self, path: str) -> list[tuple[str, dict]]:
        """paths.items(self.resource, path, self.rtype)."""
        key = ("items", path)
        hit = self._seen.get(key)
        if hit is None:
            hit = self._seen[key] = [(l, v) for l, v in self.walk(path) if isinstance(v, dict)]
        return hit

    def once(self, key: str, make: Callable[["Subject"], object]):
        """make(self), once per resource (for what several checks read, such as the selected
        instances; the answer is shared, so it must not be changed)."""
        hit = self._seen.get(key)
        if hit is None:
            hit = self._seen[key] = make(self)
        return hit

    def values(self, path: str) -> list:
        """paths.values(self.resource, path), answered once per path like walk."""
        return paths.memo_values(self._values, self.resource, path)

    def issue(self, rule: str, location: str, message: str, requirement: str | None = None,
              severity: str | None = None) -> Issue:
        r = rule_of(rule)
        return Issue(severity or r.severity, rule, location, message,
                     f"{self.spec['source']}: {requirement}" if requirement else r.requirement)

    def resolve(self, ref: object) -> tuple[dict | None, str]:
        """(resource, how) for a Reference object; how explains a failure for the message."""
        if not isinstance(ref, dict):
            return None, "not a Reference"
        target = ref.get("reference")
        if not isinstance(target, str):
            return None, "the reference has no literal reference"
        if target.startswith("#"):
            contained = self.resource.get("contained")
            for c in contained if isinstance(contained, list) else ():
                if isinstance(c, dict) and c.get("id") == target[1:]:
                    return c, "contained"
            return None, f"no contained resource has id {target[1:]!r}"
        hit = self.resolver.resolve(target, self.full_url)
        return (hit, "resolved") if hit is not None else (None, f"{target} is not in {self.resolver.name}")


@lru_cache(maxsize=None)
def _binding(version: str, path: str) -> str | None:
    for e in definitions.load(version).type(path.split(".")[0]).get("elements", ()):
        if e.get("path") == path:
            return (e.get("binding") or {}).get("valueSet")
    return None


@lru_cache(maxsize=4096)
def in_binding(version: str, path: str, code: str) -> bool:
    """Whether code is allowed by the binding on the element at path (True when unbound or not
    expandable): rules that interpret a code skip codes the binding check already rejects."""
    url = _binding(version, path)
    if url is None:
        return True
    exp = terminology.expansion(definitions.load(version), url)
    return not exp.expandable or exp.has_code(code)


def ref_type(ref: object) -> str | None:
    """The resource type a Reference names (Reference.type, else its literal reference)."""
    if not isinstance(ref, dict):
        return None
    if isinstance(ref.get("type"), str):
        return ref["type"]
    key = type_and_id(ref["reference"]) if isinstance(ref.get("reference"), str) else None
    return key[0] if key else None


def run(resource: dict, version: str, resolver: Resolver | None = None,
        full_url: str | None = None) -> list[Issue]:
    """Every imaging issue for one resource. Never raises on any JSON shape."""
    rtype = resource.get("resourceType")
    spec = table(version).get(rtype) if isinstance(rtype, str) else None
    if spec is None:
        return []
    subject = Subject(resource, rtype, version, spec, resolver or _NO_RESOLVER, full_url)
    out: list[Issue] = []
    for fine, fn in _plan(spec["kind"]):
        if fine is None or not fine(subject):
            out.extend(fn(subject))
    return out


_NO_RESOLVER = NoResolver()  # stateless
