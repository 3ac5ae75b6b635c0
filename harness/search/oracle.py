"""The search oracle: given the resources a run loaded and a query, the exact set of ids a
conformant server returns (``must``), plus ids whose match depends on the server's time zone
(``may``: dateTimes without a zone compared with zoned ones), with the values each parameter's
expression gave so a failure can say why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from harness.search import dates
from harness.search.matching import MATCHERS, Unsupported
from harness.search.params import SearchParam, params_for
from harness.search.values import Pool, evaluate
from harness.validation.references import type_and_id

CONTROL = {"_count", "_sort", "_include", "_revinclude", "_summary", "_total", "_elements", "_format",
           "_pretty", "_contained", "_containedType"}


@dataclass(frozen=True)
class Expectation:
    must: frozenset[str]  # ids every conformant server returns
    may: frozenset[str]  # ids whose match depends on the server's time zone
    values: dict  # id -> {parameter: values its expression gave}
    erratum: str | None = None  # an erratum id when the published expression gives another result
    published: frozenset[str] | None = None  # the result under the published (erroneous) expression

    def verdict(self, returned: Iterable[str]) -> tuple[str, frozenset[str], frozenset[str]]:
        """('pass' | 'fail' | 'erratum', missing, unexpected)."""
        got = frozenset(returned)
        missing, unexpected = self.must - got, got - self.must - self.may
        if not missing and not unexpected:
            return "pass", missing, unexpected
        if self.published is not None and got == self.published:
            return "erratum", missing, unexpected
        return "fail", missing, unexpected


@dataclass(frozen=True)
class Criterion:
    name: str
    modifier: str | None
    chain: str | None
    values: tuple[str, ...]  # OR

    @classmethod
    def parse(cls, key: str, value: str) -> "Criterion":
        name, _, chain = key.partition(".")
        name, _, modifier = name.partition(":")
        return cls(name, modifier or None, chain or None, tuple(_split_or(value)))


def _split_or(value: str) -> list[str]:
    out, cur, esc = [], "", False
    for ch in value:
        if esc:
            cur += ch
            esc = False
        elif ch == "\\":
            esc = True
        elif ch == ",":
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return out + [cur]


@dataclass
class Oracle:
    version: str
    resources: list[dict]
    base_url: str | None = None
    _pool: Pool = field(init=False)

    def __post_init__(self) -> None:
        self._pool = Pool(self.resources)
        # Values are memoised only for the resources this oracle holds: they live as long as it does,
        # so their id() stays theirs. A body a server returned is evaluated afresh every time: keyed
        # by id(), a later body allocated at a freed one's address would get the old one's values.
        self._own = frozenset(map(id, self.resources))
        self._cache: dict[tuple, list] = {}

    def param(self, rtype: str, name: str) -> SearchParam:
        p = params_for(self.version, rtype).get(name)
        if p is None:
            raise Unsupported(f"{rtype} has no search parameter {name!r} in {self.version}")
        if p.type not in MATCHERS or not p.expression:
            raise Unsupported(f"{rtype}?{name}: type {p.type} / expression {p.expression!r} not computed")
        return p

    def values(self, resource: dict, p: SearchParam, expression: str | None = None) -> list:
        expr = expression if expression is not None else p.expression
        key = (id(resource), expr)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        try:
            found = evaluate(self.version, expr, resource, self._pool)
        except Exception as e:  # fhirpathpy refuses some expressions (e.g. `as` on repeating elements)
            raise Unsupported(f"{p.code}: the expression {expr!r} cannot be evaluated here ({type(e).__name__})") from None
        if key[0] in self._own:
            self._cache[key] = found
        return found

    def of_type(self, rtype: str) -> list[dict]:
        return [r for r in self.resources if r.get("resourceType") == rtype and isinstance(r.get("id"), str)]

    def expected(self, rtype: str, query: list[tuple[str, str]]) -> Expectation:
        """Raises Unsupported when any criterion cannot be computed exactly."""
        crits = [Criterion.parse(k, v) for k, v in query if k not in CONTROL]
        params = {c.name: self.param(rtype, c.name) for c in crits}
        for c in crits:
            if c.chain and params[c.name].type != "reference":
                raise Unsupported(f"chain on {c.name}, a {params[c.name].type} parameter")
        zoned = any(params[c.name].type == "date" for c in crits)
        matched = [self._matching(rtype, crits, params, z, None) for z in (dates.ZONES if zoned else (dates.ZONES[1],))]
        must = frozenset.intersection(*matched)
        may = frozenset.union(*matched) - must
        errata = {p.erratum: p for p in params.values() if p.erratum}
        published = None
        erratum = None
        if errata:
            erratum = next(iter(errata))
            alt = self._matching(rtype, crits, params, dates.ZONES[1], "published")
            published = alt if alt != must else None
            erratum = erratum if published is not None else None
        values = {r["id"]: {c.name: self.values(r, params[c.name]) for c in crits} for r in self.of_type(rtype)}
        return Expectation(must, may, values, erratum, published)

    def _matching(self, rtype, crits, params, zone, which) -> frozenset[str]:
        out = set()
        for r in self.of_type(rtype):
            if all(self._criterion(r, c, params[c.name], zone, which) for c in crits):
                out.add(r["id"])
        return frozenset(out)

    def _criterion(self, r: dict, c: Criterion, p: SearchParam, zone, which) -> bool:
        values = self.values(r, p, p.published if which == "published" and p.published else None)
        if c.modifier == "missing":
            if c.values not in (("true",), ("false",)):
                raise Unsupported(":missing takes true or false")
            return (not values) == (c.values[0] == "true")
        if c.chain:
            hits = self._chain_targets(p, c)
            refs = [type_and_id(v.get("reference")) for v in values if isinstance(v, dict) and isinstance(v.get("reference"), str)]
            return any(k in hits for k in refs if k)
        fn = MATCHERS[p.type]
        kw = {"targets": p.targets, "base_url": self.base_url} if p.type == "reference" else {}
        hit = any(fn(values, c.modifier, q, zone, **kw) for q in c.values)
        return not hit if c.modifier == "not" else hit

    def _chain_targets(self, p: SearchParam, c: Criterion) -> set[tuple[str, str]]:
        name, _, modifier = c.chain.partition(":")
        hits = set()
        for t in (p.targets or ()):
            inner = params_for(self.version, t).get(name)
            if inner is None or inner.type not in MATCHERS:
                continue
            crit = Criterion(name, modifier or None, None, c.values)
            for r in self.of_type(t):
                if self._criterion(r, crit, inner, dates.ZONES[1], None):
                    hits.add((t, r["id"]))
        if not hits and not any(params_for(self.version, t).get(name) for t in p.targets):
            raise Unsupported(f"chain .{name} is not a parameter of {', '.join(p.targets)}")
        return hits

    # --- _include / _revinclude -------------------------------------------------------------------

    def included(self, rtype: str, ids: Iterable[str], include: str) -> frozenset[tuple[str, str]]:
        """Type/id keys an `_include=Source:param[:Target]` adds for the matched ids."""
        source, name, *target = include.split(":")
        if source != rtype:
            return frozenset()
        p = self.param(rtype, name)
        out = set()
        chosen = set(ids)
        for r in self.of_type(rtype):
            if r["id"] in chosen:
                for v in self.values(r, p):
                    key = type_and_id(v.get("reference")) if isinstance(v, dict) and isinstance(v.get("reference"), str) else None
                    if key and (key[0], key[1]) in self._pool.by_key and (not target or key[0] == target[0]):
                        out.add(key)
        return frozenset(out)

    def revincluded(self, rtype: str, ids: Iterable[str], revinclude: str) -> frozenset[tuple[str, str]]:
        """Type/id keys a `_revinclude=Source:param` adds: Source resources referring to a match."""
        source, name, *_ = revinclude.split(":")
        p = self.param(source, name)
        wanted = {(rtype, i) for i in ids}
        out = set()
        for r in self.of_type(source):
            for v in self.values(r, p):
                key = type_and_id(v.get("reference")) if isinstance(v, dict) and isinstance(v.get("reference"), str) else None
                if key in wanted:
                    out.add((source, r["id"]))
        return frozenset(out)

    def sort_key(self, rtype: str, resource: dict, name: str, descending: bool):
        """FHIR _sort on a date: ascending by the lowest value, descending by the highest."""
        p = self.param(rtype, name)
        ranges = [x for x in (dates.value_range(v, dates.ZONES[1]) for v in self.values(resource, p)) if x]
        if not ranges:
            return None
        return max(hi for _, hi in ranges) if descending else min(lo for lo, _ in ranges)
