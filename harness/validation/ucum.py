"""UCUM unit conversion for Quantity comparisons (rng-2, ratrng-2 and any invariant comparing two
Quantities), through ucumvert (the UCUM grammar and essence table mapped onto pint).

FHIRPath 2.0 §6.1 (Comparison): Quantities compare after converting to a common unit; when the
units cannot be converted (different dimensions) the comparison is empty. A UCUM code that ucumvert
cannot read is not a verdict: `UnknownUnit` says so, and the invariant is reported as not evaluated.

pint computes in floats: each converted value is rounded to 12 significant digits (a double carries
15-16, a chain of conversion factors loses a few), so 37 Cel is 98.6 [degF], not 98.59999999999997. ucumvert and pint load in about
half a second, so they are imported on the first conversion between two different codes only.
"""

from __future__ import annotations

import threading
from decimal import Decimal, localcontext
from functools import lru_cache

SYSTEM = "http://unitsofmeasure.org"


class UnknownUnit(Exception):
    """ucumvert cannot read this UCUM code."""


_LOCK = threading.Lock()
_REGISTRY: list = []


def _registry():
    with _LOCK:
        if not _REGISTRY:
            from ucumvert import PintUcumRegistry  # half a second: only when units differ
            _REGISTRY.append(PintUcumRegistry())
        return _REGISTRY[0]


@lru_cache(maxsize=2048)
def _unit(code: str):
    reg = _registry()
    try:
        return reg.from_ucum(code)
    except Exception as e:  # lark's and pint's parse errors: the code is not one ucumvert reads
        raise UnknownUnit(f"UCUM unit {code!r} is not understood ({type(e).__name__})") from None


def _round12(x: float) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 12
        return +Decimal(repr(x))


def convert(value: Decimal, source: str, target: str) -> Decimal | None:
    """value in UCUM unit `source` expressed in `target`; None when the two do not convert (other
    dimensions). Raises UnknownUnit for a code ucumvert cannot read."""
    if source == target:
        return value
    src, dst = _unit(source), _unit(target)
    try:
        reg = _registry()
        out = reg.Quantity(float(value) * src.magnitude, src.units).to(dst.units).magnitude / dst.magnitude
    except Exception:  # pint.DimensionalityError: other dimensions
        return None
    return _round12(float(out))
