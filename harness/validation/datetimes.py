"""Date/time boundaries (FHIRPath lowBoundary/highBoundary) for the period invariant per-1.

A partial date or a dateTime denotes a range of instants: its low boundary is the earliest instant it
can mean, its high boundary the latest. Two values without a time zone are on the same (unknown)
local clock and compare as they are written; a value without a time zone compared with one that has
a zone is widened to the zones +14:00 (low) .. -12:00 (high), as FHIRPath's lowBoundary() and
highBoundary() do when a date becomes a dateTime.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta, timezone

_RX = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
                 r"(Z|[+-]\d{2}:\d{2})?)?)?)?$")
_EARLIEST_TZ = timezone(timedelta(hours=14))
_LATEST_TZ = timezone(timedelta(hours=-12))


def bounds(value: str) -> tuple[datetime, datetime, bool] | None:
    """(low, high, zoned): aware datetimes when the value has a time zone, naive ones when not."""
    m = _RX.match(value) if isinstance(value, str) else None
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    try:
        y_ = int(y)
        if mo is None:
            lo, hi = datetime(y_, 1, 1), datetime(y_, 12, 31, 23, 59, 59, 999999)
        elif d is None:
            last = calendar.monthrange(y_, int(mo))[1]
            lo, hi = datetime(y_, int(mo), 1), datetime(y_, int(mo), last, 23, 59, 59, 999999)
        elif hh is None:
            lo = datetime(y_, int(mo), int(d))
            hi = lo.replace(hour=23, minute=59, second=59, microsecond=999999)
        else:
            us = int((frac or "0")[:6].ljust(6, "0"))
            sec = int(ss or 0)
            lo = datetime(y_, int(mo), int(d), int(hh), int(mi), min(sec, 59), us)
            hi = lo if ss is not None else lo.replace(second=59, microsecond=999999)
            if frac is None and ss is not None:
                hi = lo.replace(microsecond=999999)
    except ValueError:
        return None
    if tz:
        zone = timezone.utc if tz == "Z" else timezone(
            (1 if tz[0] == "+" else -1) * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))
        return lo.replace(tzinfo=zone), hi.replace(tzinfo=zone), True
    return lo, hi, False


def period_ok(period: dict) -> bool:
    """per-1: 'If present, start SHALL have a lower or equal value than end'."""
    start, end = period.get("start"), period.get("end")
    if not isinstance(start, str) or not isinstance(end, str):
        return True
    s, e = bounds(start), bounds(end)
    if s is None or e is None:
        return True  # a malformed date is reported by the primitive-format check
    if s[2] == e[2]:  # both zoned (instants), or both on the same local clock
        return s[0] <= e[1]
    low = s[0] if s[2] else s[0].replace(tzinfo=_EARLIEST_TZ)
    high = e[1] if e[2] else e[1].replace(tzinfo=_LATEST_TZ)
    return low <= high
