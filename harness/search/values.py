"""What a SearchParameter's expression gives for a resource, evaluated with fhirpathpy (each
expression compiled once), and the shapes search matching reads from it."""

from __future__ import annotations

import contextlib
import io
from functools import lru_cache
from typing import Any, Callable, Iterable

import fhirpathpy
from fhirpathpy.models import models as _MODELS

from harness.definitions.versions import model_for
from harness.validation.references import type_and_id


class Pool:
    """The resources searches run over; resolve() inside expressions finds them here, and a
    reference to a resource outside the pool resolves to a stub of the type it names."""

    def __init__(self, resources: Iterable[dict]):
        self.resources = [r for r in resources if isinstance(r, dict)]
        self.by_key = {(r.get("resourceType"), r.get("id")): r for r in self.resources}

    def resolve(self, reference: str) -> dict | None:
        key = type_and_id(reference) if isinstance(reference, str) else None
        if key is None:
            return None
        return self.by_key.get(key) or {"resourceType": key[0], "id": key[1]}


_POOL: list[Pool] = []


def _resolve(inputs):
    out = []
    for item in inputs:
        ref = item.get("reference") if isinstance(item, dict) else item
        found = _POOL[-1].resolve(ref) if _POOL else None
        if found is not None:
            out.append(fhirpathpy.ResourceNode.create_node(found, found.get("resourceType")))
    return out


_FUNCTIONS = {"resolve": {"fn": _resolve, "arity": {0: []}}}


@lru_cache(maxsize=None)
def _compiled(version: str, expression: str) -> Callable:
    with contextlib.redirect_stdout(io.StringIO()):
        return fhirpathpy.compile(expression, _MODELS[model_for().get(version, "r5")],
                                  {"userInvocationTable": _FUNCTIONS})


def evaluate(version: str, expression: str, resource: dict, pool: Pool) -> list[Any]:
    """The values of expression on resource (plain JSON values), [] for an empty expression."""
    if not expression:
        return []
    _POOL.append(pool)
    try:
        out = _compiled(version, expression)(resource)
    finally:
        _POOL.pop()
    return [_plain(v) for v in out]


def _plain(v: Any) -> Any:
    data = getattr(v, "data", None)
    if data is not None and hasattr(v, "path"):
        return data
    return v if isinstance(v, (dict, list, str, bool, int, float)) else str(v)


def tokens(values: list[Any]) -> list[tuple[str | None, str]]:
    """(system, code) pairs: Coding, CodeableConcept codings, Identifier/ContactPoint (system,
    value), and primitives (no system)."""
    out: list[tuple[str | None, str]] = []
    for v in values:
        if isinstance(v, dict):
            if isinstance(v.get("coding"), list):
                out += tokens([c for c in v["coding"] if isinstance(c, dict)])
            elif isinstance(v.get("code"), str):
                out.append((v.get("system") if isinstance(v.get("system"), str) else None, v["code"]))
            elif isinstance(v.get("value"), str):
                out.append((v.get("system") if isinstance(v.get("system"), str) else None, v["value"]))
        elif isinstance(v, bool):
            out.append((None, "true" if v else "false"))
        elif isinstance(v, str):
            out.append((None, v))
    return out


def token_texts(values: list[Any]) -> list[str]:
    out = []
    for v in values:
        if isinstance(v, dict):
            out += [t for t in (v.get("text"), v.get("display")) if isinstance(t, str)]
            out += [c["display"] for c in v.get("coding") or () if isinstance(c, dict) and isinstance(c.get("display"), str)]
            if isinstance(v.get("type"), dict) and isinstance(v["type"].get("text"), str):
                out.append(v["type"]["text"])
    return out


def references(values: list[Any]) -> list[dict]:
    """Reference-like values as {'reference': str?, 'identifier': {...}?} (canonical/uri strings too)."""
    out = []
    for v in values:
        if isinstance(v, dict) and ("reference" in v or "identifier" in v):
            out.append(v)
        elif isinstance(v, str):
            out.append({"reference": v})
    return out


def strings(values: list[Any]) -> list[str]:
    """String search values: strings, and the parts of HumanName / Address."""
    out = []
    for v in values:
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            for k in ("text", "family", "given", "prefix", "suffix", "line", "city", "district", "state",
                      "postalCode", "country"):
                x = v.get(k)
                out += [x] if isinstance(x, str) else [s for s in x if isinstance(s, str)] if isinstance(x, list) else []
    return out
