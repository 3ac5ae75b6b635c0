"""FHIRPath for invariants: fhirpathpy, each expression compiled once (fhirpath_tree evaluates the
connectives and Quantity comparisons at the top itself), with the functions the FHIR constraints use
that fhirpathpy 2.2.4 lacks (hasValue, resolve, memberOf, htmlChecks, conformsTo, lowBoundary,
highBoundary, comparable) and the %resource / %rootResource variables.

Functions that need the resource being validated (resolve, memberOf) read it from a context
variable set for the duration of one evaluation, so compiled expressions stay shared.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
from dataclasses import dataclass
from typing import Any, Callable

import fhirpathpy
from fhirpathpy.engine.util import get_data
from fhirpathpy.models import models as _MODELS

from harness.definitions import versions
from harness.validation import quantities, ucum
from harness.validation.fhirpath_tree import compile_expression
from harness.validation.narrative import check_div


class NotEvaluable(Exception):
    """The expression uses something this evaluator cannot compute for this input."""


@dataclass
class EvalContext:
    root: dict  # %rootResource
    resource: dict  # %resource
    bundle: dict | None  # enclosing Bundle, for resolve()
    membership: Callable[[str, Any], bool | None]  # memberOf: None = value set not expandable


_CURRENT: contextvars.ContextVar[EvalContext | None] = contextvars.ContextVar("fhirpath_ctx", default=None)


def _ctx() -> EvalContext:
    c = _CURRENT.get()
    if c is None:
        raise NotEvaluable("no resource context")
    return c


def _has_value(inputs):
    return len(inputs) == 1 and isinstance(inputs[0], (str, bool, int, float)) and not isinstance(inputs[0], dict)


def _resolve(inputs):
    c = _ctx()
    out = []
    for item in inputs:
        ref = item.get("reference") if isinstance(item, dict) else item
        if not isinstance(ref, str):
            continue
        found = _resolve_one(c, ref)
        if found is not None:  # a typed node, so ofType()/is() see the resource type
            out.append(fhirpathpy.ResourceNode.create_node(found, found.get("resourceType")))
    return out


def _resolve_one(c: EvalContext, ref: str):
    if ref == "#":
        return c.root
    if ref.startswith("#"):
        for r in c.root.get("contained") or ():
            if isinstance(r, dict) and r.get("id") == ref[1:]:
                return r
        return None
    if c.bundle is not None:
        for e in c.bundle.get("entry") or ():
            if not isinstance(e, dict) or not isinstance(e.get("resource"), dict):
                continue
            res = e["resource"]
            full = e.get("fullUrl")
            if full == ref:
                return res
            if f"{res.get('resourceType')}/{res.get('id')}" == ref or (
                isinstance(full, str) and full.endswith("/" + ref)
            ):
                return res
    return None


def _member_of(inputs, url):
    c = _ctx()
    if len(inputs) != 1:
        return []
    ok = c.membership(url, inputs[0])
    if ok is None:
        raise NotEvaluable(f"value set {url} cannot be expanded here")
    return [ok]


def _html_checks(inputs):
    return [len(inputs) == 1 and isinstance(inputs[0], str) and not any(
        p.severity == "error" for p in check_div(inputs[0]))]


def _boundary(high: bool):
    """lowBoundary()/highBoundary() (FHIRPath 3.0) of a decimal or a Quantity (the boundary of its
    value, same unit); of a date, dateTime or time: not supported here (per-1 is native)."""
    name = "highBoundary" if high else "lowBoundary"

    def fn(inputs, precision=None):
        if not inputs:
            return []
        if len(inputs) > 1:
            raise NotEvaluable(f"{name}() on {len(inputs)} items")
        x = inputs[0]
        q = quantities.from_element(x)
        if q is not None:
            return [quantities.with_value(q, quantities.boundary(q.value, high))]
        d = quantities.decimal(x)
        if d is not None:
            return [float(quantities.boundary(d, high))]
        raise NotEvaluable(f"{name}() of {type(x).__name__} is not supported by the FHIRPath engine")
    return fn


def _comparable(inputs, other):
    """comparable(quantity) (FHIRPath 3.0): whether the two Quantities' units compare."""
    if not inputs or not other:
        return []
    if len(inputs) > 1 or len(other) > 1:
        raise NotEvaluable("comparable() on more than one item")
    a, b = quantities.from_element(inputs[0]), quantities.from_element(get_data(other[0]))
    if a is None or b is None:
        raise NotEvaluable("comparable() is only supported between two Quantities with values")
    try:
        return [quantities.comparable(a, b)]
    except ucum.UnknownUnit as e:
        raise NotEvaluable(str(e)) from None


def _unsupported(name: str):
    def fn(inputs, *args):
        if not inputs:
            return []  # nothing to compute on: the empty collection, as FHIRPath functions do
        raise NotEvaluable(f"{name}() is not supported by the FHIRPath engine")
    return fn


USER_FUNCTIONS = {
    "hasValue": {"fn": lambda inputs: [_has_value(inputs)], "arity": {0: []}},
    "resolve": {"fn": _resolve, "arity": {0: []}},
    "memberOf": {"fn": _member_of, "arity": {1: ["String"]}},
    "htmlChecks": {"fn": _html_checks, "arity": {0: []}},
    "conformsTo": {"fn": _unsupported("conformsTo"), "arity": {1: ["String"]}},
    "lowBoundary": {"fn": _boundary(False), "arity": {0: [], 1: ["Integer"]}},
    "highBoundary": {"fn": _boundary(True), "arity": {0: [], 1: ["Integer"]}},
    "comparable": {"fn": _comparable, "arity": {1: ["Any"]}},
}

def _silent_trace(*args, **kwargs) -> None:
    """trace() in constraints (dom-3) would print to stdout; the validator's output is its own."""


#: the fhirpathpy type model per version: the version table's fhirpathModel column. stu3 (3.0.2) has
#: fhirpathpy's own STU3 model (its choice types and type hierarchy: ImagingManifest,
#: ProcedureRequest, ...); on the whole STU3 examples package it gives the same results as the r4
#: model. The 1.4.0 ballot has no model and is validated over R4 types, so it takes r4.
MODEL_FOR = versions.model_for()


class Evaluator:
    def __init__(self, version: str):
        self.model = _MODELS[MODEL_FOR.get(version, "r5")]
        self._compiled: dict[str, Callable | Exception] = {}
        self._options = {"userInvocationTable": USER_FUNCTIONS, "traceFn": _silent_trace}

    def compiled(self, expression: str) -> Callable:
        fn = self._compiled.get(expression)
        if fn is None:
            try:
                # antlr prints recognition errors to stdout; the validator's stdout is its report
                with contextlib.redirect_stdout(io.StringIO()):
                    fn = compile_expression(expression, self.model, self._options)
            except Exception as e:  # the parser cannot read it: report as not evaluable
                fn = NotEvaluable(f"expression does not parse: {e}")
            self._compiled[expression] = fn
        if isinstance(fn, Exception):
            raise fn
        return fn

    def evaluate(self, expression: str, value: Any, type_path: str, ctx: EvalContext) -> list:
        fn = self.compiled(expression)
        token = _CURRENT.set(ctx)
        try:
            node = value if isinstance(value, dict) and "resourceType" in value else \
                fhirpathpy.ResourceNode.create_node(value, type_path)
            return fn(node, {"resource": ctx.resource, "rootResource": ctx.root})
        finally:
            _CURRENT.reset(token)
