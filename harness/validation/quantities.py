"""FHIR Quantities as FHIRPath compares them, for the invariants fhirpathpy cannot evaluate (it
compares two Quantity objects as Python dicts and fails: rng-2, ratrng-2).

FHIRPath 2.0 §6.1 Comparison: "the Quantities are compared in the same units ... If the units are
not comparable (different dimensions), the result is empty". Two Quantities are compared directly
when they have the same system and code (or, without codes, the same system and unit text); UCUM
codes that differ are converted (ucum.convert). Anything else is not comparable.

FHIRPath 3.0 lowBoundary()/highBoundary() on a decimal (and so on a Quantity's value): the least and
greatest value the decimal can mean at its precision, half a unit of its last digit below and above
(1.587 -> 1.5865 .. 1.5875; 40 -> 39.5 .. 40.5). The validator reads JSON decimals as doubles, so
the precision is that of the shortest text of the double (40.0 and 40 both count as 40).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from harness.validation import ucum

#: FHIR types whose values are Quantities (Quantity and its profiles)
QUANTITY_TYPES = frozenset({"Quantity", "SimpleQuantity", "Age", "Count", "Distance", "Duration", "MoneyQuantity"})


@dataclass(frozen=True)
class Qty:
    """A Quantity value: a decimal with its unit (system + code, or the unit text alone)."""
    value: Decimal
    system: str | None
    code: str | None
    unit: str | None


def decimal(v) -> Decimal | None:
    if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
        return None
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return None
        return Decimal(repr(v))
    return Decimal(v)


def from_element(d) -> Qty | None:
    """The Qty of a FHIR Quantity element (a JSON object), None when it has no numeric value."""
    if isinstance(d, Qty):
        return d
    if not isinstance(d, dict):
        return None
    value = decimal(d.get("value"))
    if value is None:
        return None
    s, c, u = d.get("system"), d.get("code"), d.get("unit")
    return Qty(value, s if isinstance(s, str) else None, c if isinstance(c, str) else None,
               u if isinstance(u, str) else None)


def boundary(value: Decimal, high: bool) -> Decimal:
    """lowBoundary()/highBoundary() of a decimal: half a unit of its last digit below / above."""
    exp = value.as_tuple().exponent
    half = Decimal(5).scaleb(exp - 1)  # 0.5 * 10**exp
    return value + half if high else value - half


def with_value(q: Qty, value: Decimal) -> Qty:
    return Qty(value, q.system, q.code, q.unit)


def _in_unit_of(a: Qty, b: Qty) -> Decimal | None:
    """b's value in a's unit, None when the two are not comparable. Raises ucum.UnknownUnit."""
    if a.code is not None and b.code is not None:
        if a.system == b.system and a.code == b.code:
            return b.value
        if a.system == b.system == ucum.SYSTEM:
            return ucum.convert(b.value, b.code, a.code)
        return None
    if a.code is None and b.code is None and a.system == b.system and a.unit == b.unit:
        return b.value  # no codes: the same unit text (or none at all) in the same system
    return None


def compare(a: Qty, b: Qty) -> int | None:
    """-1, 0, 1 as a is less than, equal to, greater than b; None when not comparable."""
    other = _in_unit_of(a, b)
    if other is None:
        return None
    return (a.value > other) - (a.value < other)


def comparable(a: Qty, b: Qty) -> bool:
    return _in_unit_of(a, b) is not None
