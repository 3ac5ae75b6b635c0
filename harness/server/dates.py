"""FHIR date/dateTime/instant values as ranges of instants [low, high) in epoch seconds.

A value denotes every instant of its precision: `2023` is the whole year, `2023-10-02T11:48` the
whole minute. A value without a time zone is taken as UTC (the server's local time).
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta, timezone

_RX = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
                 r"(Z|[+-]\d{2}:\d{2})?)?)?)?$", re.ASCII)
MIN, MAX = -1e15, 1e15  # open ends of a Period


def date_range(value: str) -> tuple[float, float] | None:
    m = _RX.match(value) if isinstance(value, str) else None
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    try:
        y_ = int(y)
        if mo is None:
            lo = datetime(y_, 1, 1)
            hi_dt = datetime(y_ + 1, 1, 1) if y_ < 9999 else datetime(9999, 12, 31, 23, 59, 59)
        elif d is None:
            lo = datetime(y_, int(mo), 1)
            hi_dt = lo + timedelta(days=calendar.monthrange(y_, int(mo))[1])
        elif hh is None:
            lo = datetime(y_, int(mo), int(d))
            hi_dt = lo + timedelta(days=1)
        else:
            us = int((frac or "0")[:6].ljust(6, "0"))
            lo = datetime(y_, int(mo), int(d), int(hh), int(mi), min(int(ss or 0), 59), us)
            if ss is None:
                hi_dt = lo + timedelta(minutes=1)
            elif frac is None:
                hi_dt = lo + timedelta(seconds=1)
            else:
                hi_dt = lo + timedelta(seconds=10 ** -min(len(frac), 6))
        zone = timezone.utc
        if tz and tz != "Z":  # FHIR dateTime: a zone offset is -14:00 .. +14:00; timezone() refuses 24 h
            hours, minutes = int(tz[1:3]), int(tz[4:6])
            if hours > 14 or minutes > 59 or (hours == 14 and minutes):
                return None
            zone = timezone((1 if tz[0] == "+" else -1) * timedelta(hours=hours, minutes=minutes))
        return lo.replace(tzinfo=zone).timestamp(), hi_dt.replace(tzinfo=zone).timestamp()
    except (ValueError, OverflowError):
        return None


def instant(ms: int) -> str:
    """An instant with millisecond precision, UTC."""
    t = datetime.fromtimestamp(ms / 1000, timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
