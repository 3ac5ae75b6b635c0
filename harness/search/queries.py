"""Search queries chosen from the data, as users search: for every parameter of the type, a value
that matches some but not all resources in each form the parameter's type allows, modifiers, OR and
AND, a chain, and a value that matches nothing. Each query's expected result comes from the oracle,
so a new version's parameters need no hand-written case."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from harness.search.matching import Unsupported
from harness.search.oracle import Expectation, Oracle
from harness.search.params import params_for
from harness.search.values import references, strings, tokens
from harness.validation.references import type_and_id

NOTHING = "no-such-value-7f3c"
OTHER_SYSTEM = "urn:imaging-harness:no-such-system"
SKIP = {"_text", "_content", "_query", "_filter", "_list", "_has", "_type", "_in", "_language"}


@dataclass(frozen=True)
class Query:
    id: str  # stable within a run: "<Type>?<param>:<form>"
    rtype: str
    params: tuple[tuple[str, str], ...]
    param: str
    form: str
    modifier: str | None = None

    @property
    def text(self) -> str:
        return "&".join(f"{k}={v}" for k, v in self.params)


def _pick(counter: Counter, total: int):
    """The most common value that does not match every resource (else the most common one)."""
    ranked = counter.most_common()
    for value, n in ranked:
        if n < total:
            return value
    return ranked[0][0] if ranked else None


def generate(oracle: Oracle, rtype: str, scope: tuple[tuple[str, str], ...] = (),
             modifiers: dict[str, set[str]] | None = None) -> list[tuple[Query, Expectation]]:
    """(query, expectation) pairs. scope (e.g. the run's _tag) is added to every query;
    modifiers: parameter -> modifiers the server claims (None: try the common ones)."""
    out: list[tuple[Query, Expectation]] = []
    resources = oracle.of_type(rtype)
    if not resources:
        return out

    def add(param: str, form: str, pairs: list[tuple[str, str]], modifier: str | None = None) -> None:
        if modifier and modifiers is not None and modifier not in modifiers.get(param, set()):
            return
        q = Query(f"{rtype}?{param}:{form}", rtype, tuple(pairs) + scope, param, form, modifier)
        try:
            out.append((q, oracle.expected(rtype, list(q.params))))
        except Unsupported:
            pass

    for name, p in sorted(params_for(oracle.version, rtype).items()):
        if name in SKIP or not p.expression or p.type not in ("token", "reference", "date", "string", "uri"):
            continue
        try:
            values = {r["id"]: oracle.values(r, p) for r in resources}
        except Unsupported:
            continue  # no exact expectation can be computed for this parameter
        present = [i for i, v in values.items() if v]
        if not present:
            continue
        if len(present) < len(resources):
            add(name, "missing-true", [(f"{name}:missing", "true")], "missing")
            add(name, "missing-false", [(f"{name}:missing", "false")], "missing")
        if p.type == "token":
            counts = Counter(t for v in values.values() for t in set(tokens(v)))
            picked = _pick(counts, len(resources))
            if picked is None:
                continue
            system, code = picked
            add(name, "code", [(name, code)])
            if system:
                add(name, "system|code", [(name, f"{system}|{code}")])
                add(name, "system|", [(name, f"{system}|")])
                add(name, "other-system|code", [(name, f"{OTHER_SYSTEM}|{code}")])
                add(name, "|code-with-system", [(name, f"|{code}")])
            else:
                add(name, "|code", [(name, f"|{code}")])
            add(name, "not", [(f"{name}:not", code)], "not")
            others = [c for (s, c), _ in counts.most_common() if c != code]
            if others:
                add(name, "or", [(name, f"{code},{others[0]}")])
            add(name, "none", [(name, NOTHING)])
        elif p.type == "reference":
            counts = Counter(r.get("reference") for v in values.values() for r in references(v)
                             if isinstance(r.get("reference"), str) and type_and_id(r["reference"]))
            ref = _pick(counts, len(resources))
            if ref is None:
                continue
            t, i = type_and_id(ref)
            add(name, "type/id", [(name, f"{t}/{i}")])
            add(name, "id", [(name, i)])
            if "://" not in ref:  # a literal reference (canonicals such as _profile are searched by URL)
                wrong = next((x for x in p.targets if x != t), "Group" if t != "Group" else "Device")
                add(name, "other-type/id", [(name, f"{wrong}/{i}")])
                add(name, "type-modifier", [(f"{name}:{t}", i)], t)
            if oracle.base_url:
                add(name, "absolute", [(name, f"{oracle.base_url.rstrip('/')}/{t}/{i}")])
            target = oracle._pool.by_key.get((t, i))
            idents = target.get("identifier") if isinstance(target, dict) else None
            ident = idents[0] if isinstance(idents, list) and idents and isinstance(idents[0], dict) else None
            if ident and isinstance(ident.get("value"), str):
                chain = f"{ident.get('system')}|{ident['value']}" if ident.get("system") else ident["value"]
                add(name, "chain-identifier", [(f"{name}.identifier", chain)])
            add(name, "none", [(name, f"{t}/{NOTHING}")])
        elif p.type == "date":
            firsts = sorted(str(v[0]) for v in values.values() if v and isinstance(v[0], str))
            if not firsts:
                continue
            value = firsts[len(firsts) // 2]
            day, year = value[:10], value[:4]
            add(name, "eq-day", [(name, day)])
            add(name, "eq-year", [(name, year)])
            if len(value) >= 19:
                add(name, "eq-second", [(name, value)])
            for prefix in ("ne", "gt", "lt", "ge", "le", "sa", "eb"):
                add(name, f"{prefix}-day", [(name, prefix + day)])
                add(name, f"{prefix}-year", [(name, prefix + year)])
                if len(value) >= 19:
                    add(name, f"{prefix}-second", [(name, prefix + value)])
            add(name, "and-range", [(name, "ge" + year), (name, "lt" + str(int(year) + 1))])
            add(name, "none", [(name, "1900-01-01")])
        else:  # string, uri
            counts = Counter(s for v in values.values() for s in set(strings(v) if p.type == "string" else
                                                                      [x for x in v if isinstance(x, str)]))
            value = _pick(counts, len(resources))
            if value is None:
                continue
            add(name, "exact", [(name, value)])
            if p.type == "string":
                add(name, "starts-with", [(name, value[: max(1, len(value) // 2)].lower())])
                add(name, "exact-modifier", [(f"{name}:exact", value)], "exact")
                add(name, "contains", [(f"{name}:contains", value[1:-1] or value)], "contains")
            add(name, "none", [(name, NOTHING)])
    return out
