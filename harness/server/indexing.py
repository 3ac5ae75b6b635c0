"""Search parameters the server supports, and the index rows computed from a resource at write time.

The parameters come from the version's SearchParameter definitions: for each supported resource
type, each parameter whose type the server implements gets the part of its expression that applies
to that type (a multi-base expression `A.x | B.y` is split). Expressions are compiled once with
fhirpathpy and evaluated when a resource is written; search itself is SQL over the rows (search.py).
The errata table (errata.json) replaces published expressions that are known to be wrong.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
import unicodedata
from numbers import Number
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import fhirpathpy
from fhirpathpy.models import models as _MODELS

from harness import definitions
from harness.definitions import versions
from harness.server.dates import MAX, MIN, date_range

SUPPORTED_TYPES = ("token", "reference", "date", "string", "uri", "number", "quantity")
#: modifiers implemented per parameter type (":missing" works for all)
MODIFIERS = {
    "token": ("missing", "not"),
    "reference": ("missing", "identifier", "<type>"),
    "date": ("missing",),
    "string": ("missing", "exact", "contains"),
    "uri": ("missing", "below", "above"),
    "number": ("missing",),
    "quantity": ("missing",),
}
RESOURCE_LEVEL = ("_id", "_lastUpdated", "_tag", "_security", "_profile", "_source")
ERRATA = json.loads((Path(__file__).with_name("errata.json")).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Param:
    code: str
    type: str
    expression: str
    targets: tuple[str, ...]
    url: str

    @property
    def modifiers(self) -> tuple[str, ...]:
        return MODIFIERS[self.type]


def split_union(expression: str) -> list[str]:
    """Top-level `|` alternatives of a FHIRPath expression."""
    parts, depth, quote, cur = [], 0, False, []
    for ch in expression:
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        if ch == "|" and depth == 0 and not quote:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur).strip())
    return [p for p in parts if p]


def _strip_parens(part: str) -> str:
    while part.startswith("(") and part.endswith(")"):
        part = part[1:-1].strip()
    return part


_AS_OPERATOR = re.compile(r"\(([^()]+?) as ([A-Za-z]+)\)")
_AS_WHOLE = re.compile(r"^([A-Za-z][\w.]*) as ([A-Za-z]+)$")
_AS_FUNCTION = re.compile(r"\.as\(([A-Za-z]+)\)")


def collection_safe(expression: str) -> str:
    """R4 writes `(Observation.component.value as Quantity)`; FHIRPath's `as` wants one item and
    fhirpathpy raises on a list, so such parts are read as ofType() (the search spec's intent)."""
    expression = _AS_OPERATOR.sub(r"(\1.ofType(\2))", expression)
    expression = _AS_WHOLE.sub(r"\1.ofType(\2)", expression)
    return _AS_FUNCTION.sub(r".ofType(\1)", expression)


def expression_for(expression: str, rtype: str) -> str | None:
    mine = []
    for part in split_union(expression):
        p = _strip_parens(part)
        head = re.match(r"[A-Za-z]+", p)
        if not head:
            continue
        if head.group(0) in ("Resource", "DomainResource"):
            p = rtype + p[len(head.group(0)):]
        elif head.group(0) != rtype:
            continue
        mine.append(collection_safe(p))
    return " | ".join(mine) or None


class Catalog:
    """The supported parameters of one version: params[resourceType][code] -> Param."""

    def __init__(self, version: str):
        self.version = version
        self.types = tuple(versions.row(version).server["resourceTypes"])  # the version table's
        defs = definitions.load(version)
        self.params: dict[str, dict[str, Param]] = {t: {} for t in self.types}
        errata = {(e["resource"], e["code"]): e["used"] for e in ERRATA if e["version"] == version}
        for sp in defs.search_parameters():
            kind = "uri" if sp["code"] == "_profile" else sp["type"]
            if kind not in SUPPORTED_TYPES or not sp.get("expression"):
                continue
            if sp["code"].startswith("_") and sp["code"] not in RESOURCE_LEVEL:
                continue
            for rtype in self.types:
                if not ({rtype, "Resource", "DomainResource"} & set(sp["base"])):
                    continue
                expr = errata.get((rtype, sp["code"])) or expression_for(sp["expression"], rtype)
                if expr is None or not _compiles(version, expr):
                    continue
                self.params[rtype][sp["code"]] = Param(
                    sp["code"], kind, expr, tuple(sp.get("target") or ()), sp.get("url", ""))

    #: what the server claims and does beyond its parameters (the options no-includes / no-chaining
    #: withdraw them; the CapabilityStatement, the SearchParameters served and search all read these)
    includes: bool = True
    chaining: bool = True

    def param(self, rtype: str, code: str) -> Param | None:
        return self.params.get(rtype, {}).get(code)

    def variant(self, without: tuple[str, ...] = (), includes: bool = True, chaining: bool = True) -> "Catalog":
        """A copy that lacks the parameters `without` and, when False, includes or chaining."""
        other = copy.copy(self)
        other.params = {t: {c: p for c, p in ps.items() if c not in without} for t, ps in self.params.items()}
        other.includes, other.chaining = includes, chaining
        return other


@lru_cache(maxsize=None)
def catalog(version: str) -> Catalog:
    return Catalog(version)


# ---------------------------------------------------------------- evaluation

def _resolve(inputs):
    """resolve() for `where(resolve() is Patient)`: a node typed by the reference's type only."""
    out = []
    for item in inputs:
        ref = item.get("reference") if isinstance(item, dict) else item
        parsed = parse_reference(ref) if isinstance(ref, str) else None
        if parsed and parsed[0]:
            out.append(fhirpathpy.ResourceNode.create_node({"resourceType": parsed[0]}, parsed[0]))
    return out


_OPTIONS = {"userInvocationTable": {"resolve": {"fn": _resolve, "arity": {0: []}}}}


@lru_cache(maxsize=None)
def _compiled(version: str, expression: str):
    with contextlib.redirect_stdout(io.StringIO()):
        return fhirpathpy.compile(expression, _MODELS[versions.row(version).fhirpath_model], _OPTIONS)


def _compiles(version: str, expression: str) -> bool:
    try:
        _compiled(version, expression)
        return True
    except Exception:
        return False


_REF_RX = re.compile(r"^(?:(.*)/)?([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$")


def parse_reference(ref: str) -> tuple[str | None, str | None, str | None] | None:
    """(type, id, base) of a literal reference; base None for a relative one."""
    m = _REF_RX.match(ref)
    if not m:
        return None
    return m.group(2), m.group(3), m.group(1)


def normalize(text: str) -> str:
    """Case- and accent-insensitive form for string search."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _tokens(v) -> list[tuple]:
    if isinstance(v, bool):
        return [(None, "true" if v else "false")]
    if isinstance(v, (str, int)):
        return [(None, str(v))]
    if not isinstance(v, dict):
        return []
    if "coding" in v:
        return [(c.get("system"), c.get("code")) for c in v["coding"] if isinstance(c, dict) and c.get("code")]
    if "code" in v:
        return [(v.get("system"), v.get("code"))]
    if "value" in v and isinstance(v["value"], str):
        return [(v.get("system"), v["value"])]
    return []


def _strings(v) -> list[str]:
    if isinstance(v, str):
        return [v]
    if not isinstance(v, dict):
        return []
    out = []
    for key in ("text", "family", "given", "prefix", "suffix", "line", "city", "district", "state",
                "postalCode", "country"):
        val = v.get(key)
        out.extend([val] if isinstance(val, str) else [x for x in val or () if isinstance(x, str)]
                   if isinstance(val, list) else [])
    return out


def _dates(v) -> list[tuple]:
    if isinstance(v, str):
        r = date_range(v)
        return [(r[0], r[1], v)] if r else []
    if isinstance(v, dict) and ("start" in v or "end" in v):
        s = date_range(v["start"]) if isinstance(v.get("start"), str) else None
        e = date_range(v["end"]) if isinstance(v.get("end"), str) else None
        return [(s[0] if s else MIN, e[1] if e else MAX, v.get("start") or v.get("end"))]
    return []


def _references(v) -> list[tuple]:
    """(ref_type, ref_id, url, local, identifier system, identifier value)"""
    if isinstance(v, str):
        return [(None, None, v, 0, None, None)]
    if not isinstance(v, dict):
        return []
    if "reference" not in v and "identifier" not in v and isinstance(v.get("reference"), dict):
        v = v["reference"]  # CodeableReference
    ref = v.get("reference")
    ident = v.get("identifier") if isinstance(v.get("identifier"), dict) else {}
    rtype = rid = None
    local = 0
    if isinstance(ref, str):
        parsed = parse_reference(ref)
        if parsed:
            rtype, rid, base = parsed
            local = 1 if base is None else 0
    if ref is None and not ident:
        return []
    return [(rtype, rid, ref, local, ident.get("system"), ident.get("value"))]


def _numbers(v) -> list[tuple]:
    if isinstance(v, Number) and not isinstance(v, bool):  # fhirpathpy gives decimals as Decimal
        return [(float(v),)]
    return []


def _quantities(v) -> list[tuple]:
    if isinstance(v, dict) and isinstance(v.get("value"), Number) and not isinstance(v["value"], bool):
        return [(float(v["value"]), v.get("system"), v.get("code"), v.get("unit"))]
    return []


_EXTRACT = {"token": _tokens, "string": _strings, "date": _dates, "reference": _references,
            "uri": lambda v: [(v,)] if isinstance(v, str) else [], "number": _numbers,
            "quantity": _quantities}


def index_rows(version: str, resource: dict) -> dict[str, list[tuple]]:
    """{param type: [(param code, *values)]} for one resource, and under "present" the parameters
    whose expression found an element at all (what :missing asks: a CodeableConcept with only text
    is present though it has no token to match)."""
    rows: dict[str, list[tuple]] = {t: [] for t in SUPPORTED_TYPES + ("present",)}
    cat = catalog(version)
    for p in cat.params.get(resource.get("resourceType"), {}).values():
        try:
            values = _compiled(version, p.expression)(resource)
        except Exception:  # an expression fhirpathpy cannot evaluate on this input: not indexed
            continue
        if values:
            rows["present"].append((p.code,))
        seen = set()
        for v in values:
            for row in _EXTRACT[p.type](v):
                if p.type == "string":
                    row = (row, normalize(row))
                if row not in seen:
                    seen.add(row)
                    rows[p.type].append((p.code, *row))
    return rows
