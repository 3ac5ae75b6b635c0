"""FHIR date search: every date, dateTime, instant and Period is a range; prefixes compare ranges
(search.html#date, #prefix). Values without a time zone take one supplied by the caller, so the
oracle can tell results that hold in every zone from those that depend on the server's zone."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_DATE = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?P<f>\.\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$", re.ASCII)
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
MIN = datetime(1, 1, 1, tzinfo=timezone.utc) + timedelta(days=2)
MAX = datetime(9999, 12, 31, tzinfo=timezone.utc) - timedelta(days=2)

Range = tuple[datetime, datetime]  # [low, high)


def _add_months(dt: datetime, n: int) -> datetime:
    y, m = divmod(dt.month - 1 + n, 12)
    return dt.replace(year=dt.year + y, month=m + 1)


def parse(value: str, zone: timezone) -> Range | None:
    """The range a FHIR date/dateTime/instant (or a search value) covers, or None if unreadable."""
    m = _DATE.match(value.strip()) if isinstance(value, str) else None
    if not m:
        return None
    g = m.groupdict()
    tz = zone if not g["tz"] else timezone.utc if g["tz"] == "Z" else timezone(
        (1 if g["tz"][0] == "+" else -1) * timedelta(hours=int(g["tz"][1:3]), minutes=int(g["tz"][4:6])))
    try:
        lo = datetime(int(g["y"]), int(g["m"] or 1), int(g["d"] or 1), int(g["H"] or 0), int(g["M"] or 0),
                      int(g["S"] or 0), int(round(float(g["f"] or 0) * 1_000_000)) if g["f"] else 0, tzinfo=tz)
    except ValueError:
        return None
    if g["m"] is None:
        hi = lo.replace(year=lo.year + 1)
    elif g["d"] is None:
        hi = _add_months(lo, 1)
    elif g["H"] is None:
        hi = lo + timedelta(days=1)
    elif g["S"] is None:
        hi = lo + timedelta(minutes=1)
    elif g["f"] is None:
        hi = lo + timedelta(seconds=1)
    else:
        hi = lo + timedelta(microseconds=10 ** (6 - min(len(g["f"]) - 1, 6)))
    return lo, hi


def value_range(value, zone: timezone) -> Range | None:
    """Range of an element value: a date string, or a Period (open ends unbounded)."""
    if isinstance(value, str):
        return parse(value, zone)
    if isinstance(value, dict) and ("start" in value or "end" in value):
        s = parse(value["start"], zone) if isinstance(value.get("start"), str) else None
        e = parse(value["end"], zone) if isinstance(value.get("end"), str) else None
        return (s[0] if s else MIN, e[1] if e else MAX)
    return None


def matches(prefix: str, search: Range, target: Range) -> bool:
    (slo, shi), (tlo, thi) = search, target
    contains = slo <= tlo and thi <= shi
    above = thi > shi  # the target reaches above the search range
    below = tlo < slo
    if prefix == "eq":
        return contains
    if prefix == "ne":
        return not contains
    if prefix == "gt":
        return above
    if prefix == "lt":
        return below
    if prefix == "ge":
        return above or contains
    if prefix == "le":
        return below or contains
    if prefix == "sa":
        return tlo >= shi
    if prefix == "eb":
        return thi <= slo
    raise ValueError(prefix)


ZONES = (timezone(timedelta(hours=-14)), timezone.utc, timezone(timedelta(hours=14)))
