# imaging-harness: compiled
"""Primitive datatype checks: the JSON kind and the regex come from the definitions (each primitive
type's StructureDefinition carries them); what a regex cannot say (calendar dates, 32-bit ranges,
finite numbers) is added here once per type name.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from typing import Callable

MAX_STRING = 1024 * 1024  # "strings SHALL NOT exceed 1MB in size" (datatypes, string)

_DATE_PARTS = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_TIME_PARTS = re.compile(r"(\d{2}):(\d{2}):(\d{2})")
_ZONE = re.compile(r"([+-])(\d{2}):(\d{2})$")
# a time of day (with an optional zone) every part of which is in range: nothing to report
_IN_RANGE_TIME = re.compile(
    r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?(?:Z|[+-](?:0[0-9]|1[0-4]):[0-5][0-9])?",
    re.ASCII)


def _calendar_date(value: str) -> str | None:
    if value[8:10] < "29":
        return None  # no day (the slice is short or not digits) or a day every month has
    m = _DATE_PARTS.match(value)
    if not m or not m.group(3):
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if 1 <= mo <= 12 and d > calendar.monthrange(y, mo)[1]:
        return f"{value!r} is not a calendar date ({y:04d}-{mo:02d} has {calendar.monthrange(y, mo)[1]} days)"
    return None


def _time_of_day(value: str) -> str | None:
    if ":" not in value:
        return None  # a date only: no time, no zone
    t = value.split("T", 1)[1] if "T" in value else value
    if _IN_RANGE_TIME.fullmatch(t):
        return None
    m = _TIME_PARTS.match(t)
    if m and (int(m.group(1)) > 23 or int(m.group(2)) > 59 or int(m.group(3)) > 60):
        return f"{value!r} has an hour, minute or second out of range"
    if "T" in value:
        tz = _ZONE.search(t)
        if tz and (int(tz.group(2)) > 14 or int(tz.group(3)) > 59):
            return f"{value!r} has a time-zone offset out of range"
    return None


def _datetime(value: str) -> str | None:
    return _calendar_date(value) or _time_of_day(value)


def _canonical(value: str) -> str | None:
    """references.html §canonical: a canonical is 'url' or 'url|version'; a bar with nothing on
    one side of it names no version (or no resource)."""
    url, bar, version = value.partition("|")
    if bar and not version:
        return f"{value!r} ends with '|': a canonical is url or url|version, and the version after '|' is missing"
    if bar and not url:
        return f"{value!r} starts with '|': a canonical is url|version, and the url before '|' is missing"
    return None


def _int_range(lo: int, hi: int) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        if isinstance(value, int) and not (lo <= value <= hi):
            return f"{value} is outside the range {lo}..{hi}"
        return None
    return check


def _finite(value: object) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return "the number is beyond the range a decimal can be processed with"
    return None


_INT32 = (-(2**31), 2**31 - 1)
#: the value range of each whole-number type, by FHIR type name
INT_RANGES: dict[str, tuple[int, int]] = {
    "integer": _INT32, "unsignedInt": (0, _INT32[1]), "positiveInt": (1, _INT32[1])}
# Checks the regex cannot make, by FHIR type name (the same meaning in every version).
_EXTRA: dict[str, Callable[[object], str | None]] = {
    "date": _calendar_date,  # type: ignore[dict-item]
    "dateTime": _datetime,  # type: ignore[dict-item]
    "instant": _datetime,  # type: ignore[dict-item]
    "time": _time_of_day,  # type: ignore[dict-item]
    **{name: _int_range(*bounds) for name, bounds in INT_RANGES.items()},
    "decimal": _finite,
    "canonical": _canonical,  # type: ignore[dict-item]
}


@dataclass(frozen=True, slots=True)
class PrimitiveSpec:
    name: str
    json: str  # string | boolean | number
    regex: re.Pattern | None
    extra: Callable[[object], str | None] | None
    integer: bool  # number types that must be whole

    def check(self, value: object, text: str | None = None) -> tuple[str, str] | None:
        """(rule, message) for a bad value, or None. `value` is never None here. text: the JSON text
        of a number when the parser kept it (a token outside jsonparse.SAFE_NUMBER); an integer's
        text is its value's."""
        if self.json == "string":
            if not isinstance(value, str):
                return "structure.json-kind", f"{self.name} must be a JSON string, not {_kind(value)}"
            if value == "":
                return "json.empty", f"{self.name} must not be an empty string"
            if len(value) > MAX_STRING:
                return "structure.primitive-format", f"{self.name} exceeds 1 MB"
            text = value
        elif self.json == "boolean":
            if not isinstance(value, bool):
                return "structure.json-kind", f"{self.name} must be JSON true or false, not {_kind(value)}"
            return None
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return "structure.json-kind", f"{self.name} must be a JSON number, not {_kind(value)}"
            if self.integer and not isinstance(value, int):
                return "structure.primitive-format", f"{self.name} must be a whole number, not {value!r}"
            if self.extra is not None:
                msg = self.extra(value)
                if msg:
                    return ("json.number-range" if self.name == "decimal" else "structure.primitive-format"), msg
            if text is None and value.__class__ is int:
                text = str(value)
            if text is not None and self.regex is not None and self.regex.fullmatch(text) is None:
                return "structure.primitive-format", _number_message(self, text)
            return None
        if self.regex is not None and self.regex.fullmatch(text) is None:
            shown = text if len(text) <= 80 else text[:77] + "..."
            return "structure.primitive-format", f"{shown!r} is not a valid {self.name}"
        if self.extra is not None:
            msg = self.extra(text)
            if msg:
                return "structure.primitive-format", msg
        return None


def _number_message(spec: "PrimitiveSpec", text: str) -> str:
    """What is wrong with a number's JSON text that its type's regex rejects: the digits it has
    beyond the regex, when that is the reason, and the regex itself."""
    shown = text if len(text) <= 60 else text[:57] + "..."
    mantissa, _, exponent = text.lstrip("-").replace("E", "e").partition("e")
    whole, _, fraction = mantissa.partition(".")
    why = []
    if len(whole) > 18:
        why.append(f"{len(whole)} digits before the decimal point")
    if len(fraction) > 17:
        why.append(f"{len(fraction)} digits after the decimal point")
    if exponent.lstrip("+-")[:1] == "0" and exponent not in ("0",):
        why.append(f"the exponent {exponent} starts with 0")
    if len(exponent.lstrip("+-")) > 10:
        why.append(f"an exponent of {len(exponent.lstrip('+-'))} digits")
    if exponent and "e" not in spec.regex.pattern.lower():  # type: ignore[union-attr]
        why.append("an exponent, which this version's decimal does not have")
    detail = f" ({', '.join(why)})" if why else ""
    return f"{shown} is not a valid {spec.name}{detail}: its JSON text does not match {spec.regex.pattern}"  # type: ignore[union-attr]


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"


#: published primitive regexes that do not say what their type's definition says, with the
#: correction HL7's reference validator applies (FHIRPathExpressionFixer.fixRegex): R5 5.0.0's
#: decimal regex has a stray '}' after the exponent ({1,9}}), so as published any exponent would
#: need a literal '}'; the datatype allows 'Decimals ... with an optional exponent'.
REGEX_ERRATA: dict[str, str] = {
    r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?([eE][+-]?[0-9]{1,9}})?":
        r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?([eE](0|[+\-]?[1-9][0-9]{0,9}))?",
}


def compile_primitive(name: str, primitive: dict | None) -> PrimitiveSpec:
    primitive = primitive or {}
    regex = primitive.get("regex")
    regex = REGEX_ERRATA.get(regex, regex) if regex else regex
    system = primitive.get("system") or ""
    return PrimitiveSpec(
        name=name,
        json=primitive.get("json") or "string",
        # the definitions' regexes are XML Schema regexes, where \s is only space, tab, CR and LF
        # (a no-break space is content); Python's Unicode \s would reject it: match in ASCII mode
        regex=re.compile(regex, re.ASCII) if regex else None,
        extra=_EXTRA.get(name),
        integer=system in ("System.Integer",) or name in ("integer", "unsignedInt", "positiveInt"),
    )


kind_of = _kind
