"""The top of a FHIRPath expression evaluated here, the rest by fhirpathpy: a wrapper, no patch.

fhirpathpy 2.2.4 (pinned) evaluates both operands of `or`, `and`, `xor` and `implies` before it
combines them, so an operand it cannot compute sinks the whole invariant even where the other
operand decides it (R4 tim-9: `offset.empty() or (... when in (...) ...)` fails on a Timing with two
`when` codes and no offset), and it compares two FHIR Quantities as Python dicts, which fails
(rng-2). This module parses the expression once with fhirpathpy's parser and walks its top:

- `or` / `and` / `xor` / `implies` and parentheses: FHIRPath 2.0 §6.5 three-valued logic. The right
  operand is evaluated only when the left does not decide (`false implies X` is true, `true or X`
  is true: FHIRPath 2.0 §6.5 lets an implementation skip it); an operand that cannot be evaluated
  is unknown, and the result is not evaluable only when it depends on that operand.
- `<`, `<=`, `>`, `>=`, `=`, `!=` between two Quantities: compared natively (quantities.compare);
  between anything else: fhirpathpy's own operator on the operands evaluated here.
- every other subtree: fhirpathpy (apply_parsed_path), exactly as before.

Operands are evaluated with fhirpathpy's raw results (ResourceNodes keep their FHIR type, so a
Quantity is known as one).
"""

from __future__ import annotations

import re
from typing import Any, Callable

import fhirpathpy
from fhirpathpy.engine.invocations import invocation_registry
from fhirpathpy.engine.nodes import FP_Quantity
from fhirpathpy.engine.util import arraify, get_data
from fhirpathpy.parser import parse

from harness.validation import quantities, ucum

_LOGIC = {"OrExpression", "AndExpression", "ImpliesExpression"}
_COMPARE = {"InequalityExpression": ("<", "<=", ">", ">="), "EqualityExpression": ("=", "!=")}
#: -1 / 0 / 1 (left less / equal / greater) -> the operator's verdict
_VERDICT = {"<": lambda c: c < 0, "<=": lambda c: c <= 0, ">": lambda c: c > 0, ">=": lambda c: c >= 0,
            "=": lambda c: c == 0, "!=": lambda c: c != 0}


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


Fn = Callable[[Any, dict], list]


def compile_expression(expression: str, model: dict, options: dict) -> Fn:
    """fn(resource or node, variables) -> the result collection (plain values, as fhirpathpy's)."""
    raw = {**options, "returnRawData": True}
    fn = _compile(_this_is_context(_parse(expression)["children"][0]), model, raw)
    return lambda data, variables: [get_data(x) for x in fn(data, variables)]


def _parse(expression: str) -> dict:
    """fhirpathpy's parse tree. An expression that does not parse only because it writes a string
    in double quotes (R5 eld-11: `type.code.contains(":")`; FHIRPath 2.0 §3.2 strings are single-quoted,
    double quotes are not in the grammar) is read with the string single-quoted, as HL7's reference
    validator reads it."""
    try:
        return parse(expression)
    except Exception:
        repaired = _DOUBLE_QUOTED.sub(lambda m: m.group(0) if m.group(1) is None else f"'{m.group(1)}'",
                                      expression)
        if repaired == expression:
            raise
        return parse(repaired)


#: a single-quoted string (kept as it is) or a double-quoted one without quotes or escapes inside
_DOUBLE_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"([^\"'\\]*)\"")
_CONTEXT = {"type": "TermExpression", "terminalNodeText": [], "text": "%context", "children": [
    {"type": "ExternalConstantTerm", "terminalNodeText": [], "children": [
        {"type": "ExternalConstant", "terminalNodeText": ["%"], "children": [
            {"type": "Identifier", "terminalNodeText": ["context"], "text": "context"}]}]}]}


def _this_is_context(node: dict) -> dict:
    """`$this` outside any function's arguments is the expression's input (FHIRPath 2.0 §2.1.2:
    the focus at the start of evaluation), which fhirpathpy only binds inside a function (R5 sdf-26
    `$this.where(...)` raises KeyError there): such a `$this` is rewritten as `%context`, the same
    input under the name fhirpathpy does bind."""
    if node["type"] == "ParamList":
        return node  # inside a function's arguments $this is that function's item: fhirpathpy's own
    children = node.get("children")
    if node["type"] == "TermExpression" and children and children[0]["type"] == "InvocationTerm" \
            and children[0]["children"] and children[0]["children"][0]["type"] == "ThisInvocation":
        return _CONTEXT
    if not children:
        return node
    return {**node, "children": [_this_is_context(c) for c in children]}


def _unwrap(node: dict) -> dict:
    while node["type"] == "TermExpression" and len(node["children"]) == 1 \
            and node["children"][0]["type"] == "ParenthesizedTerm":
        node = node["children"][0]["children"][0]
    return node


def _compile(node: dict, model: dict, options: dict) -> Fn:
    node = _unwrap(node)
    kind = node["type"]
    if kind in _LOGIC:
        op = node["terminalNodeText"][0]
        left, right = (_compile(c, model, options) for c in node["children"])
        return _logic(op, left, right)
    ops = _COMPARE.get(kind)
    if ops and node["terminalNodeText"] and node["terminalNodeText"][0] in ops:
        op = node["terminalNodeText"][0]
        left, right = (_compile(c, model, options) for c in node["children"])
        return _comparison(op, left, right, model)
    tree = {"children": [node]}
    return lambda data, variables: fhirpathpy.apply_parsed_path(data, tree, variables, model, options)


def _boolean(fn: Fn, data, variables):
    """An operand as a Boolean (FHIRPath 2.0 §4.5 singleton evaluation): True, False, None for
    empty, or _Failed when it cannot be evaluated or is not a single value."""
    try:
        result = fn(data, variables)
    except Exception as e:  # noqa: BLE001 - unknown, decided by the other operand or reported
        return _Failed(e)
    if not result:
        return None
    if len(result) > 1:
        return _Failed(ValueError(f"a Boolean operand has {len(result)} items"))
    value = get_data(result[0])
    return value if isinstance(value, bool) else True


def _logic(op: str, left: Fn, right: Fn) -> Fn:
    def fn(data, variables):
        a = _boolean(left, data, variables)
        if op == "or" and a is True or op == "and" and a is False:
            return [a]
        if op == "implies" and a is False:
            return [True]
        b = _boolean(right, data, variables)
        if op == "or":
            out = True if b is True else (False if a is False and b is False else None)
        elif op == "and":
            out = False if b is False else (True if a is True and b is True else None)
        elif op == "implies":  # a is True, None or unknown here
            out = True if b is True else (False if a is True and b is False else None)
        else:  # xor: needs both
            out = None if a is None or b is None or isinstance(a, _Failed) or isinstance(b, _Failed) \
                else a != b
        if out is None:
            for side in (a, b):
                if isinstance(side, _Failed):  # the result depends on the operand we could not compute
                    raise side.error
            return []
        return [out]
    return fn


def _quantity(result: list, model: dict):
    """The operand as a Qty when it is a single FHIR Quantity, else None."""
    if len(result) != 1:
        return None
    x = result[0]
    if isinstance(x, quantities.Qty):
        return x
    if isinstance(x, FP_Quantity):  # a literal such as 5 'mg' (a UCUM code); calendar words are not
        unit = x.unit
        if len(unit) > 1 and unit[0] == unit[-1] == "'":
            return quantities.Qty(x.value, ucum.SYSTEM, unit[1:-1], None)
        return None
    path = getattr(x, "path", None)
    if path in quantities.QUANTITY_TYPES:
        return quantities.from_element(x.data) or _NO_VALUE
    return None


_NO_VALUE = object()  # a Quantity without a value: compares to nothing


def _comparison(op: str, left: Fn, right: Fn, model: dict) -> Fn:
    delegate = invocation_registry[op]["fn"]
    ctx = {"model": model}

    def fn(data, variables):
        a, b = left(data, variables), right(data, variables)
        qa, qb = _quantity(a, model), _quantity(b, model)
        if qa is None or qb is None:  # fhirpathpy's operator, as infix_invoke calls it
            if not a or not b or a[0] is None or b[0] is None:
                return []
            return arraify(delegate(ctx, a, b))
        if qa is _NO_VALUE or qb is _NO_VALUE:
            return []  # a Quantity without a value: nothing to compare
        c = quantities.compare(qa, qb)
        return [] if c is None else [_VERDICT[op](c)]
    return fn
