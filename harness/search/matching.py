"""FHIR search matching per parameter type (search.html): one value of a query against the values a
resource's expression gave. Pure functions; the oracle combines them (OR within a parameter, AND
across repeats, :not and :missing at resource level)."""

from __future__ import annotations

import unicodedata
from datetime import timezone

from harness.search import dates
from harness.search.values import references, strings, token_texts, tokens
from harness.validation.references import type_and_id


class Unsupported(Exception):
    """The oracle cannot compute this parameter / modifier exactly; no expectation is made."""


def _split_pipe(q: str) -> tuple[str | None, str]:
    if "|" in q:
        system, code = q.split("|", 1)
        return system, code
    return None, q


def token(values: list, modifier: str | None, q: str, zone: timezone) -> bool:
    if modifier == "text":
        want = _fold(q)
        return any(_fold(t).startswith(want) for t in token_texts(values))
    if modifier == "of-type":
        parts = q.split("|")
        if len(parts) != 3:
            raise Unsupported(":of-type needs system|code|value")
        return any(isinstance(v, dict) and v.get("value") == parts[2] and any(
            c.get("system") == parts[0] and c.get("code") == parts[1]
            for c in ((v.get("type") or {}).get("coding") or ()) if isinstance(c, dict)) for v in values)
    if modifier not in (None, "not"):
        raise Unsupported(f"token modifier :{modifier}")
    system, code = _split_pipe(q)
    for s, c in tokens(values):
        if system is None and c == code:
            return True
        if system == "" and s is None and c == code:
            return True
        if system and code == "" and s == system:
            return True
        if system and s == system and c == code:
            return True
    return False


def reference(values: list, modifier: str | None, q: str, zone: timezone, *, targets: tuple[str, ...] = (),
              base_url: str | None = None) -> bool:
    refs = references(values)
    if modifier == "identifier":
        system, value = _split_pipe(q)
        return any(isinstance(r.get("identifier"), dict) and r["identifier"].get("value") == value and
                   (system is None or r["identifier"].get("system") == (system or None)) for r in refs)
    type_filter = modifier if modifier and modifier[:1].isupper() else None
    if modifier not in (None, "not") and type_filter is None:
        raise Unsupported(f"reference modifier :{modifier}")
    base = (base_url or "").rstrip("/")
    for r in refs:
        ref = r.get("reference")
        if not isinstance(ref, str) or ref.startswith("#"):
            continue
        local = ref[len(base) + 1:] if base and ref.startswith(base + "/") else ref
        key = type_and_id(local) if "://" not in local else None
        if "://" in q:
            if ref == q or (key and base and q.startswith(base + "/") and type_and_id(q[len(base) + 1:]) == key):
                return True
        elif "/" in q:
            if key is not None and key == type_and_id(q) and (type_filter is None or key[0] == type_filter):
                return True
        elif key is not None and key[1] == q:
            if (type_filter and key[0] == type_filter) or (not type_filter and (not targets or key[0] in targets)):
                return True
    return False


def date(values: list, modifier: str | None, q: str, zone: timezone) -> bool:
    if modifier not in (None,):
        raise Unsupported(f"date modifier :{modifier}")
    prefix, raw = (q[:2], q[2:]) if q[:2] in dates.PREFIXES else ("eq", q)
    if prefix == "ap":
        raise Unsupported("ap (approximately) is implementation-defined")
    search = dates.parse(raw, zone)
    if search is None:
        raise Unsupported(f"unreadable date {raw!r}")
    ranges = [r for r in (dates.value_range(v, zone) for v in values) if r is not None]
    return any(dates.matches(prefix, search, r) for r in ranges)


def _fold(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c)).casefold()


def string(values: list, modifier: str | None, q: str, zone: timezone) -> bool:
    vals = strings(values)
    if modifier == "exact":
        return q in vals
    if modifier == "contains":
        return any(_fold(q) in _fold(v) for v in vals)
    if modifier not in (None, "not"):
        raise Unsupported(f"string modifier :{modifier}")
    return any(_fold(v).startswith(_fold(q)) for v in vals)


def uri(values: list, modifier: str | None, q: str, zone: timezone) -> bool:
    vals = [v for v in values if isinstance(v, str)]
    if modifier == "below":
        return any(v == q or v.startswith(q.rstrip("/") + "/") for v in vals)
    if modifier == "above":
        return any(q == v or q.startswith(v.rstrip("/") + "/") for v in vals)
    if modifier not in (None, "not"):
        raise Unsupported(f"uri modifier :{modifier}")
    return q in vals


MATCHERS = {"token": token, "reference": reference, "date": date, "string": string, "uri": uri}
