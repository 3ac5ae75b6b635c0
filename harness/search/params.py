"""The SearchParameters of one resource type in one version, with this type's part of shared
expressions and the errata table applied."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources as _res

from harness import definitions

SUPPORTED_TYPES = ("token", "reference", "date", "string", "uri", "number")


@dataclass(frozen=True, slots=True)
class SearchParam:
    code: str
    type: str  # token | reference | date | string | uri | number | quantity | composite | special
    expression: str  # this base's part only ('' when the definition has none)
    targets: tuple[str, ...]
    url: str
    comparators: tuple[str, ...]
    published: str | None = None  # the published expression, when an erratum corrected it
    erratum: str | None = None  # erratum id


def split_union(expression: str) -> list[str]:
    """Top-level '|' parts of a FHIRPath expression (parentheses and quotes respected)."""
    parts, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(expression):
        if quote:
            if ch == quote and expression[i - 1] != "\\":
                quote = None
        elif ch in "'`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(expression[start:i].strip())
            start = i + 1
    parts.append(expression[start:].strip())
    return [p for p in parts if p]


def part_for(expression: str, base: str) -> str:
    """The union of the parts of a shared expression that apply to base."""
    def applies(p: str) -> bool:
        p = p.lstrip("(")
        return p == base or p.startswith(base + ".") or p.startswith(base + " ")
    return " | ".join(p for p in split_union(expression or "") if applies(p))


@lru_cache(maxsize=1)
def errata() -> list[dict]:
    return json.loads(_res.files("harness.search").joinpath("errata.json").read_text(encoding="utf-8"))["errata"]


@lru_cache(maxsize=None)
def params_for(version: str, resource_type: str) -> dict[str, SearchParam]:
    out: dict[str, SearchParam] = {}
    for sp in definitions.load(version).search_parameters():
        bases = sp.get("base", ())
        if resource_type in bases:
            expr = part_for(sp.get("expression") or "", resource_type)
        elif set(bases) & {"Resource", "DomainResource"}:  # _id, _lastUpdated, _tag, …
            generic = next(b for b in bases if b in ("Resource", "DomainResource"))
            expr = part_for(sp.get("expression") or "", generic)
            expr = " | ".join(resource_type + q[len(generic):] for q in split_union(expr))
        else:
            continue
        published = erratum = None
        for e in errata():
            if version in e["versions"] and e["url"] == sp.get("url") and e["base"] == resource_type:
                if expr == e["published"]:
                    published, erratum, expr = expr, e["id"], e["corrected"]
        out[sp["code"]] = SearchParam(sp["code"], sp["type"], expr, tuple(sp.get("target") or ()),
                                      sp.get("url", ""), tuple(sp.get("comparator") or ()), published, erratum)
    return out
