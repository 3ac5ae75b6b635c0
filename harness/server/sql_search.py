"""The reference server's search: FHIR search parameters translated to SQL over the index tables
(storage.py); _include and _revinclude are followed in sql_includes.py.

Semantics follow the FHIR search specification: comma = OR, a repeated parameter = AND, token
`system|code`, `|code`, `system|`, reference by id, Type/id or absolute URL, dates as ranges with the
prefixes eq/ne/gt/lt/ge/le/sa/eb/ap, strings starts-with ignoring case and accents, and the
modifiers listed in indexing.MODIFIERS. This module never calls the harness's search oracle.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from harness.server.dates import date_range
from harness.server.faults import Faults
from harness.server.indexing import Catalog, normalize
from harness.server.limits import MAX_CHAIN, MAX_SUBQUERIES, search_terms, whole_number
from harness.server.outcome import FhirError
from harness.validation.references import parse_reference

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
DEFAULT_COUNT, MAX_COUNT = 20, 1000


class Unsupported(Exception):
    """An unknown parameter or modifier: 400 under handling=strict, ignored otherwise."""


@dataclass
class Query:
    rtype: str
    where: list[tuple[str, list]] = field(default_factory=list)  # (sql, args) ANDed
    used: list[tuple[str, str]] = field(default_factory=list)  # for the self link
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (code, descending)
    includes: list[tuple[str, str, str | None, bool]] = field(default_factory=list)
    revincludes: list[tuple[str, str, str | None, bool]] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    summary: str | None = None
    elements: list[str] = field(default_factory=list)
    total: str = "accurate"


def split_unescaped(value: str, sep: str) -> list[str]:
    out, cur, i = [], [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            cur.append(value[i:i + 2])
            i += 2
            continue
        if ch == sep:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out


def unescape(value: str) -> str:
    return value.replace("\\,", ",").replace("\\|", "|").replace("\\$", "$").replace("\\\\", "\\")


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Builder:
    def __init__(self, cat: Catalog, faults: Faults, base: str):
        self.cat, self.faults, self.base, self.n = cat, faults, base, 0

    def _alias(self) -> str:
        self.n += 1
        if self.n > MAX_SUBQUERIES:  # every subquery of the SQL takes an alias here
            raise FhirError(400, f"this search needs more than {MAX_SUBQUERIES} subqueries (a chain through a "
                                 f"reference to any type fans out to every type): narrow it with a type "
                                 f"modifier, e.g. focus:Patient.name", code="too-costly")
        return f"a{self.n}"

    def _exists(self, kind: str, owner: tuple[str, str], code: str, match: str, args: list) -> tuple[str, list]:
        """`alias.rid IN (ids whose index rows match)`: an uncorrelated subquery, driven by the
        (param, value) indexes, so a selective criterion costs a lookup, not a scan."""
        alias, rtype = owner
        a = self._alias()
        sql = (f"{alias}.rid IN (SELECT {a}.rid FROM idx_{kind} {a} WHERE {a}.param=? AND {a}.rtype=?"
               + (f" AND ({match.format(a=a)})" if match else "") + ")")
        return sql, [code, rtype, *args]

    def condition(self, rtype: str, owner: tuple[str, str], name: str, value: str) -> tuple[str, list]:
        """SQL for one `name=value` pair (value may be a comma list) on `owner` = (resource alias, type)."""
        head, dot, rest = name.partition(".")
        code, _, modifier = head.partition(":")
        p = self.cat.param(rtype, code)
        if p is None:
            raise Unsupported(f"unknown search parameter {code!r} for {rtype}")
        if dot:
            if not self.cat.chaining:
                raise Unsupported(f"chained parameters ({name!r}) are not supported")
            if name.count(".") > MAX_CHAIN:
                raise FhirError(400, f"{name[:200]!r} chains {name.count('.')} links; this server follows at "
                                     f"most {MAX_CHAIN}", code="too-costly")
            if p.type != "reference":
                raise Unsupported(f"{code} is not a reference parameter: cannot chain {name!r}")
            return self._chain(rtype, owner, p, modifier, rest, value)
        if modifier == "missing":
            if value not in ("true", "false"):
                raise FhirError(400, f"{name}: :missing takes true or false, not {value!r}")
            sql, args = self._exists("present", owner, code, "", [])
            return (f"NOT {sql}" if value == "true" else sql), args
        type_modifier = p.type == "reference" and (modifier in self.cat.types or modifier in p.targets)
        if modifier and (modifier not in p.modifiers or modifier == "<type>") and not type_modifier:
            raise Unsupported(f"modifier :{modifier} is not supported for {code} ({p.type})")
        parts = [unescape(v) if p.type not in ("token", "quantity") else v
                 for v in split_unescaped(value, ",")]
        if modifier == "not" and "ignore-modifier-not" in self.faults:
            modifier = ""
        ors = [getattr(self, "_" + p.type)(owner, code, modifier, v) for v in parts]
        sql = "(" + " OR ".join(s for s, _ in ors) + ")"
        args = [a for _, xs in ors for a in xs]
        return (f"NOT {sql}" if modifier == "not" else sql), args

    def _chain(self, rtype, owner, p, modifier, rest, value):
        targets = [modifier] if modifier else [t for t in p.targets if t in self.cat.types]
        ors, args = [], []
        for t in targets:
            c = self._alias()
            try:
                inner, inner_args = self.condition(t, (c, t), rest, value)
            except Unsupported:
                continue
            x = self._alias()
            ors.append(f"{owner[0]}.rid IN (SELECT {x}.rid FROM idx_reference {x} JOIN resource {c} ON "
                       f"{c}.rtype={x}.ref_type AND {c}.rid={x}.ref_id AND {c}.deleted=0 WHERE {x}.rtype=? "
                       f"AND {x}.param=? AND {x}.local=1 AND {x}.ref_type=? AND {inner})")
            args += [owner[1], p.code, t, *inner_args]
        if not ors:
            raise Unsupported(f"cannot chain {p.code}.{rest}: no target type has that parameter")
        return "(" + " OR ".join(ors) + ")", args

    # ---------------------------------------------------------------- per type

    def _token(self, owner, code, modifier, v):
        parts = split_unescaped(v, "|")
        if len(parts) > 2:
            raise FhirError(400, f"{code}: token value {v!r} has more than one '|'")
        if len(parts) == 1:
            return self._exists("token", owner, code, "{a}.code=?", [unescape(parts[0])])
        system, c = unescape(parts[0]), unescape(parts[1])
        if "token-ignores-system" in self.faults:
            return self._exists("token", owner, code, "{a}.code=?", [c]) if c else ("1", [])
        if not system:
            return self._exists("token", owner, code, "{a}.system IS NULL AND {a}.code=?", [c])
        if not c:
            return self._exists("token", owner, code, "{a}.system=?", [system])
        return self._exists("token", owner, code, "{a}.system=? AND {a}.code=?", [system, c])

    def _string(self, owner, code, modifier, v):
        if modifier == "exact":
            return self._exists("string", owner, code, "{a}.raw=?", [v])
        pattern = ("%" if modifier == "contains" else "") + _like(normalize(v)) + "%"
        return self._exists("string", owner, code, "{a}.norm LIKE ? ESCAPE '\\'", [pattern])

    def _uri(self, owner, code, modifier, v):
        if modifier == "below":
            return self._exists("uri", owner, code, "{a}.value=? OR {a}.value LIKE ? ESCAPE '\\'",
                                [v, _like(v.rstrip("/")) + "/%"])
        if modifier == "above":
            return self._exists("uri", owner, code, "{a}.value=? OR substr(?, 1, length({a}.value) + 1) "
                                "= {a}.value || '/'", [v, v])
        return self._exists("uri", owner, code, "{a}.value=?", [v])

    def _reference(self, owner, code, modifier, v):
        if modifier == "identifier":
            parts = split_unescaped(v, "|")
            if len(parts) == 1:
                return self._exists("reference", owner, code, "{a}.id_value=?", [unescape(v)])
            system, value = unescape(parts[0]), unescape("|".join(parts[1:]))
            if not value:
                return self._exists("reference", owner, code, "{a}.id_system=?", [system])
            return self._exists("reference", owner, code, "{a}.id_system=? AND {a}.id_value=?", [system, value])
        if self.base and v.startswith(self.base + "/"):
            v = v[len(self.base) + 1:]
        parsed = parse_reference(v)
        if parsed and parsed[2] is None:
            rtype, rid = parsed[0], parsed[1]
            if modifier and modifier != rtype:
                return "0", []
            if "reference-type-ignored" in self.faults:
                return self._exists("reference", owner, code, "{a}.local=1 AND {a}.ref_id=?", [rid])
            return self._exists("reference", owner, code, "{a}.local=1 AND {a}.ref_type=? AND {a}.ref_id=?",
                                [rtype, rid])
        if "/" not in v and ":" not in v:  # a bare id
            if modifier:
                return self._exists("reference", owner, code, "{a}.local=1 AND {a}.ref_type=? AND {a}.ref_id=?",
                                    [modifier, v])
            return self._exists("reference", owner, code, "{a}.local=1 AND {a}.ref_id=?", [v])
        return self._exists("reference", owner, code, "{a}.url=?", [v])

    @staticmethod
    def _prefix(v: str) -> tuple[str, str]:
        if len(v) > 2 and v[:2] in PREFIXES and not v[:2].isdigit():
            return v[:2], v[2:]
        return "eq", v

    def _date(self, owner, code, modifier, v):
        prefix, value = self._prefix(v.replace(" ", "+"))  # an unencoded '+' of a time zone arrives as ' '
        if "date-prefix-off-by-one" in self.faults:
            prefix = {"gt": "ge", "lt": "le", "sa": "ge", "eb": "le"}.get(prefix, prefix)
        rng = date_range(value)
        if rng is None:
            raise FhirError(400, f"{code}: {value!r} is not a FHIR date, dateTime or instant")
        if "date-precision" in self.faults:
            op = {"eq": "=", "ne": "!=", "gt": ">", "lt": "<", "ge": ">=", "le": "<=", "sa": ">",
                  "eb": "<", "ap": "="}[prefix]
            return self._exists("date", owner, code, f"{{a}}.raw {op} ?", [value])
        sl, sh = rng
        eq = "({a}.low >= ? AND {a}.high <= ?)"
        match = {
            "eq": (eq, [sl, sh]),
            "ne": (f"NOT {eq}", [sl, sh]),
            "gt": ("{a}.high > ?", [sh]),
            "lt": ("{a}.low < ?", [sl]),
            "ge": (f"{{a}}.high > ? OR {eq}", [sh, sl, sh]),
            "le": (f"{{a}}.low < ? OR {eq}", [sl, sl, sh]),
            "sa": ("{a}.low >= ?", [sh]),
            "eb": ("{a}.high <= ?", [sl]),
        }.get(prefix)
        if prefix == "ap":
            delta = max(0.1 * abs(time.time() - sl), 0.0)
            match = ("{a}.low < ? AND {a}.high > ?", [sh + delta, sl - delta])
        return self._exists("date", owner, code, match[0], match[1])

    @staticmethod
    def _number_range(code, text):
        try:
            n = float(text)
        except ValueError:
            raise FhirError(400, f"{code}: {text!r} is not a number")
        digits = len(text.split(".", 1)[1]) if "." in text and "e" not in text.lower() else 0
        half = 0.5 * 10 ** -digits
        return n, n - half, n + half

    def _compare(self, prefix, n, lo, hi):
        return {"eq": ("{a}.value >= ? AND {a}.value < ?", [lo, hi]),
                "ne": ("NOT ({a}.value >= ? AND {a}.value < ?)", [lo, hi]),
                "gt": ("{a}.value > ?", [n]), "sa": ("{a}.value > ?", [n]),
                "lt": ("{a}.value < ?", [n]), "eb": ("{a}.value < ?", [n]),
                "ge": ("{a}.value >= ?", [n]), "le": ("{a}.value <= ?", [n]),
                "ap": ("{a}.value >= ? AND {a}.value <= ?", [n - abs(n) * 0.1, n + abs(n) * 0.1])}[prefix]

    def _number(self, owner, code, modifier, v):
        prefix, value = self._prefix(v)
        match, args = self._compare(prefix, *self._number_range(code, value))
        return self._exists("number", owner, code, match, args)

    def _quantity(self, owner, code, modifier, v):
        parts = split_unescaped(v, "|")
        prefix, value = self._prefix(parts[0])
        match, args = self._compare(prefix, *self._number_range(code, value))
        match = f"({match})"
        if len(parts) == 3:
            system, unit = unescape(parts[1]), unescape(parts[2])
            if system:
                match += " AND {a}.system=? AND {a}.code=?"
                args += [system, unit]
            elif unit:
                match += " AND ({a}.code=? OR {a}.unit=?)"
                args += [unit, unit]
        elif len(parts) != 1:
            raise FhirError(400, f"{code}: quantity {v!r} is not number|system|code")
        return self._exists("quantity", owner, code, match, args)

    # ---------------------------------------------------------------- sorting

    def order(self, rtype: str, code: str, desc: bool) -> str:
        if code == "_id":
            return "r.rid"
        if code == "_lastUpdated":
            return "r.last_updated"
        p = self.cat.param(rtype, code)
        if p is None:
            raise Unsupported(f"unknown sort parameter {code!r} for {rtype}")
        agg = "MAX" if desc else "MIN"
        col = {"date": "high" if desc else "low", "string": "norm", "token": "code", "reference": "ref_id",
               "uri": "value", "number": "value", "quantity": "value"}[p.type]
        index = "ix_ref_rid" if p.type == "reference" else f"ix_{p.type}_rid"  # per row: never scan a param
        return (f"(SELECT {agg}(s.{col}) FROM idx_{p.type} s INDEXED BY {index} WHERE s.rtype=r.rtype "
                f"AND s.rid=r.rid AND s.param='{p.code}')")


def _include_spec(cat: Catalog, value: str, iterate: bool) -> tuple[str, str, str | None, bool]:
    if not cat.includes:
        raise Unsupported("_include and _revinclude are not supported")
    parts = value.split(":")
    if len(parts) not in (2, 3):
        raise FhirError(400, f"_include/_revinclude value {value!r} is not Type:param[:target]")
    p = cat.param(parts[0], parts[1])
    if p is None or p.type != "reference":
        raise Unsupported(f"{parts[0]}:{parts[1]} is not a supported reference parameter")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None, iterate


def parse(cat: Catalog, faults: Faults, base: str, rtype: str, pairs: list[tuple[str, str]],
          strict: bool) -> Query:
    """Translate the query parameters; unknown ones raise 400 when strict, else are left out."""
    q = Query(rtype)
    b = Builder(cat, faults, base)
    search_terms(sum(1 + value.count(",") for _, value in pairs if value))  # SQL grows with each term
    for name, value in pairs:
        if value == "":
            continue  # an empty value is ignored (FHIR search: parameters without a value)
        try:
            if name == "_count":
                count = whole_number(value, "_count")
                if count is None:
                    raise FhirError(400, f"_count must be a non-negative integer, not {value[:100]!r}")
                q.count = min(count, MAX_COUNT)
            elif name == "_sort":
                for code in value.split(","):
                    desc = code.startswith("-")
                    b.order(rtype, code.lstrip("-"), desc)
                    q.sort.append((code.lstrip("-"), desc))
            elif name in ("_include", "_include:iterate"):
                q.includes.append(_include_spec(cat, value, name.endswith("iterate")))
            elif name in ("_revinclude", "_revinclude:iterate"):
                q.revincludes.append(_include_spec(cat, value, name.endswith("iterate")))
            elif name == "_summary":
                if value not in ("count", "true", "text", "data", "false"):
                    raise FhirError(400, f"_summary must be true, text, data, count or false, not {value!r}")
                q.summary = value
            elif name == "_elements":
                q.elements = [e.strip() for e in value.split(",") if e.strip()]
            elif name == "_total":
                if value not in ("none", "estimate", "accurate"):
                    raise FhirError(400, f"_total must be none, estimate or accurate, not {value!r}")
                q.total = value
            elif name in ("_format", "_pretty"):
                continue
            else:
                q.where.append(b.condition(rtype, ("r", rtype), name, value))
            q.used.append((name, value))
        except Unsupported as e:
            if strict:
                raise FhirError(400, str(e), code="not-supported")
    return q


def run(store, cat: Catalog, faults: Faults, base: str, q: Query) -> list[str]:
    """The ids of every match, in the requested order."""
    sql = "SELECT r.rid FROM resource r WHERE r.rtype=? AND r.deleted=0"
    args: list = [q.rtype]
    for cond, cargs in q.where:
        sql += f" AND {cond}"
        args += cargs
    b = Builder(cat, faults, base)
    orders = []
    for code, desc in q.sort:
        if "sort-reversed" in faults:
            desc = not desc
        expr = b.order(q.rtype, code, desc)
        orders.append(f"{expr} IS NULL, {expr} {'DESC' if desc else 'ASC'}")
    orders.append("r.last_updated, r.rid")
    sql += " ORDER BY " + ", ".join(orders)
    return [row[0] for row in store.query(sql, args)]
