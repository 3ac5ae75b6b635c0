"""Quantity comparisons and short-circuit logic in invariants (harness/validation/fhirpath_tree.py,
quantities.py, ucum.py): issue #21 item 8.

fhirpathpy 2.2.4 compares two FHIR Quantities as Python dicts and fails, so rng-2 (Range low <=
high) was 'not evaluated' on every Range with both bounds and a Range with low 40 cm above high
29.6 cm passed; and it evaluates both operands of or/and/implies, so an operand it cannot compute
sank invariants the other operand decides (R4 tim-9 on a Timing with two `when` codes).
"""

from __future__ import annotations

import itertools
from decimal import Decimal

import fhirpathpy
import pytest
from fhirpathpy.models import models

from harness.validation import quantities, ucum
from harness.validation.fhirpath import EvalContext, Evaluator, NotEvaluable
from harness.validation.validator import validate_value

UCUM = "http://unitsofmeasure.org"
DIV = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div>'}


def qty(value, code, system=UCUM):
    return {"value": value, "unit": code, "system": system, "code": code}


def observation(low, high):
    return {"resourceType": "Observation", "id": "o", "text": DIV, "status": "final",
            "code": {"text": "Lesion diameter"}, "valueRange": {"low": low, "high": high}}


def rules(resource, version):
    return {(i.rule, i.location) for i in validate_value(resource, "t", version).issues
            if i.severity != "information"}


RANGE = "Observation.value.ofType(Range)"


@pytest.mark.parametrize("version", ["r4", "r4b", "r5"])
@pytest.mark.parametrize("low,high,violated", [
    (qty(40, "cm"), qty(29.6, "cm"), True),     # the issue's example
    (qty(40, "cm"), qty(296, "mm"), True),      # units that convert
    (qty(0.4, "m"), qty(296, "mm"), True),
    (qty(20, "cm"), qty(29.6, "cm"), False),
    (qty(20, "cm"), qty(296, "mm"), False),
    (qty(29.6, "cm"), qty(296, "mm"), False),   # equal after conversion
    (qty(1.0, "kg"), qty(900, "g"), True),     # R5: 0.95 kg .. 900.5 g
    (qty(2.0, "h"), qty(90, "min"), True),
    (qty(1.0, "L"), qty(900, "mL"), True),
    (qty(40, "cm"), qty(5, "kg"), False),       # not comparable: FHIRPath gives empty, not false
    ({"value": 3.0, "unit": "lesions"}, {"value": 2, "unit": "lesions"}, True),  # no codes: same unit text
])
def test_rng2_compares_quantities(version, low, high, violated):
    found = rules(observation(low, high), version)
    assert (("invariant.rng-2", RANGE) in found) is violated
    assert ("invariant.not-evaluated", RANGE) not in found


def test_rng2_r5_uses_the_boundaries_of_the_values():
    # R5: low.lowBoundary() <= high.highBoundary(): 30 (29.5 .. 30.5) against 29.6 (29.55 .. 29.65)
    # holds in R5 (their ranges overlap) but not in R4 (30 > 29.6)
    obs = observation(qty(30, "cm"), qty(29.6, "cm"))
    assert ("invariant.rng-2", RANGE) not in rules(obs, "r5")
    assert ("invariant.rng-2", RANGE) in rules(obs, "r4")


def test_a_unit_the_ucum_library_cannot_read_is_reported_not_passed():
    found = rules(observation(qty(40, "not a unit"), qty(29.6, "cm")), "r5")
    assert ("invariant.not-evaluated", RANGE) in found
    found = rules(observation(qty(40, "not a unit"), qty(29.6, "cm")), "r4")
    assert ("invariant.not-evaluated", RANGE) in found


def test_same_code_needs_no_unit_library():
    # same system and code: compared without ucumvert (which may not know the code)
    obs = observation(qty(40, "{lesion}"), qty(29, "{lesion}"))
    assert ("invariant.rng-2", RANGE) in rules(obs, "r4")


def test_conversions():
    assert ucum.convert(Decimal(40), "cm", "mm") == 400
    assert ucum.convert(Decimal(37), "Cel", "[degF]") == Decimal("98.6")
    assert ucum.convert(Decimal(1), "cm", "kg") is None
    with pytest.raises(ucum.UnknownUnit):
        ucum.convert(Decimal(1), "not a unit", "cm")


def test_boundaries():
    assert quantities.boundary(Decimal("1.587"), False) == Decimal("1.5865")
    assert quantities.boundary(Decimal("1.587"), True) == Decimal("1.5875")
    assert quantities.boundary(Decimal(40), False) == Decimal("39.5")
    assert quantities.decimal(29.6) == Decimal("29.6")


# --- short-circuit logic ---------------------------------------------------------------------------

def _evaluate(expression, value, type_path="Timing.repeat", version="r4"):
    ctx = EvalContext(root={}, resource={}, bundle=None, membership=lambda url, v: None)
    return Evaluator(version).evaluate(expression, value, type_path, ctx)


def timing(repeat):
    return {"resourceType": "MedicationRequest", "id": "m", "text": DIV, "status": "active",
            "intent": "order", "medicationCodeableConcept": {"text": "x"},
            "subject": {"reference": "Patient/p"}, "dosageInstruction": [{"timing": {"repeat": repeat}}]}


def test_tim9_is_decided_by_its_left_operand():
    # R4 tim-9: offset.empty() or (when.exists() and ((when in (...)).not())). With two `when` codes
    # the right operand cannot be computed (`in` needs one item), but no offset decides it
    loc = "MedicationRequest.dosageInstruction[0].timing.repeat"
    found = rules(timing({"when": ["MORN", "EVE"], "frequency": 2, "period": 1, "periodUnit": "d"}), "r4")
    assert ("invariant.not-evaluated", loc) not in found and ("invariant.tim-9", loc) not in found
    found = rules(timing({"when": ["C"], "offset": 30, "frequency": 1, "period": 1, "periodUnit": "d"}), "r4")
    assert ("invariant.tim-9", loc) in found


def test_implies_and_or_skip_an_operand_they_do_not_need():
    undecidable = "(b.x in ('1' | '2'))"  # fails in fhirpathpy when b.x has two items
    value = {"b": {"x": ["1", "3"]}}
    assert _evaluate(f"a.exists() implies {undecidable}", value, "Element") == [True]
    assert _evaluate(f"a.empty() or {undecidable}", value, "Element") == [True]
    assert _evaluate(f"a.exists() and {undecidable}", value, "Element") == [False]
    assert _evaluate(f"{undecidable} or a.empty()", value, "Element") == [True]  # unknown or true
    with pytest.raises(Exception):
        _evaluate(f"a.empty() implies {undecidable}", value, "Element")  # depends on it: reported


def test_logic_agrees_with_fhirpathpy_where_fhirpathpy_can_evaluate():
    """Three-valued logic: every operator over true / false / empty, against fhirpathpy's answer."""
    values = {"true": "true", "false": "false", "empty": "{}"}
    model = models["r4"]
    for op, (a, b) in itertools.product(["or", "and", "xor", "implies"], itertools.product(values.values(), repeat=2)):
        expression = f"({a}) {op} ({b})"
        theirs = fhirpathpy.evaluate({}, expression, {}, model)
        assert _evaluate(expression, {}, "Element") == theirs, expression


@pytest.mark.parametrize("expression", [
    "1 < 2", "2 <= 2", "'a' > 'b'", "@2020-01-01 >= @2019-12-31", "3 = 3", "3 != 4",
    "{} < 1", "1.5 > 1", "@2020-01-01 < @2020-01-01T10:00:00Z",
])
def test_other_comparisons_are_fhirpathpys(expression):
    assert _evaluate(expression, {}, "Element") == fhirpathpy.evaluate({}, expression, {}, models["r4"])


def test_a_quantity_against_a_literal():
    node = {"value": 90, "unit": "min", "system": UCUM, "code": "min"}
    assert _evaluate("$this > 1 'h'", node, "Duration") == [True]
    assert _evaluate("$this < 1.4 'h'", node, "Duration") == [False]
    assert _evaluate("$this > 1 'kg'", node, "Duration") == []  # other dimensions: not comparable


def test_unsupported_functions_still_raise():
    with pytest.raises(NotEvaluable):
        _evaluate("start.lowBoundary() < end", {"start": "2020-01-01", "end": "2020-01-02"}, "Period")
