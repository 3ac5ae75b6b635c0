"""Base content the seeds do not restate, and the small element DSL the version modules use.

The seeds only say "from Resource: id, meta, implicitRules, and language / from DomainResource: text,
contained, extension, and modifierExtension" (seed 000, 001) and show backbone elements without their
id/extension/modifierExtension children. The walker needs complete snapshots, so those elements and
the universal constraints are copied here from the official packages of the version each
hand-authored folder inherits from:

* ``r4``: hl7.fhir.r4.core 4.0.1 (as shipped in hl7.fhir.r4.examples-4.0.1), e.g. the first nine
  snapshot elements of StructureDefinition-ImagingStudy.json and ImagingStudy.series.{id,extension,
  modifierExtension};
* ``r5``: hl7.fhir.r5.core 5.0.0, StructureDefinition-ImagingSelection.json, likewise.

Differences between the two that matter here: Resource.id is typed ``string`` (R4) vs ``id`` (R5)
through the structuredefinition-fhir-type extension; Resource.language is bound ``preferred`` to
ValueSet/languages (R4) vs ``required`` to ValueSet/all-languages (R5); DomainResource.modifierExtension
is a summary element in R5 only; dom-3 uses ``as()`` (R4) vs ``ofType()`` (R5).

This is base content, not seeded content: nothing imaging-specific comes from the packages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from _version_table import version_table

# --- constraints (key -> definition), copied verbatim from the packages ---------------------------

_ELE_1 = {
    "severity": "error",
    "human": "All FHIR elements must have a @value or children",
    "expression": "hasValue() or (children().count() > id.count())",
    "source": "Element",
}
_EXT_1 = {
    "severity": "error",
    "human": "Must have either extensions or value[x], not both",
    "expression": "extension.exists() != value.exists()",
    "source": "Extension",
}


def _dom(dom3_expression: str) -> dict[str, dict]:
    return {
        "dom-2": {
            "severity": "error",
            "human": "If the resource is contained in another resource, it SHALL NOT contain nested Resources",
            "expression": "contained.contained.empty()",
            "source": "DomainResource",
        },
        "dom-3": {
            "severity": "error",
            "human": "If the resource is contained in another resource, it SHALL be referred to from elsewhere "
                     "in the resource or SHALL refer to the containing resource",
            "expression": dom3_expression,
            "source": "DomainResource",
        },
        "dom-4": {
            "severity": "error",
            "human": "If a resource is contained in another resource, it SHALL NOT have a meta.versionId or a "
                     "meta.lastUpdated",
            "expression": "contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()",
            "source": "DomainResource",
        },
        "dom-5": {
            "severity": "error",
            "human": "If a resource is contained in another resource, it SHALL NOT have a security label",
            "expression": "contained.meta.security.empty()",
            "source": "DomainResource",
        },
        "dom-6": {
            "severity": "warning",
            "human": "A resource should have narrative for robust management",
            "expression": "text.`div`.exists()",
            "source": "DomainResource",
        },
    }


_DOM3_R4 = (
    "contained.where((('#'+id in (%resource.descendants().reference | %resource.descendants().as(canonical) | "
    "%resource.descendants().as(uri) | %resource.descendants().as(url))) or descendants().where(reference = '#')"
    ".exists() or descendants().where(as(canonical) = '#').exists() or descendants().where(as(canonical) = '#')"
    ".exists()).not()).trace('unmatched', id).empty()"
)
_DOM3_R5 = (
    "contained.where((('#'+id in (%resource.descendants().reference | %resource.descendants().ofType(canonical) | "
    "%resource.descendants().ofType(uri) | %resource.descendants().ofType(url))) or descendants().where(reference = "
    "'#').exists() or descendants().where(ofType(canonical) = '#').exists() or descendants().where(ofType(canonical) "
    "= '#').exists()).not()).trace('unmatched', id).empty()"
)

DOM_KEYS = ["dom-2", "dom-3", "dom-4", "dom-5", "dom-6"]

# A System.String-typed element (Resource.id, Element.id): the FHIR type name from the fhir-type
# extension, plus the System type it was declared with (the compiler forbids _element for these).


def _sys(code: str) -> dict:
    return {"code": code, "system": "System.String"}


# --- the inherited elements, per base version -----------------------------------------------------
# (name, min, max, types, constraints, summary, modifier, binding, owner-type in the base spec)

_R4_RESOURCE = [
    ("id", 0, "1", [_sys("string")], [], True, False, None, "Resource"),
    ("meta", 0, "1", [{"code": "Meta"}], ["ele-1"], True, False, None, "Resource"),
    ("implicitRules", 0, "1", [{"code": "uri"}], ["ele-1"], True, True, None, "Resource"),
    ("language", 0, "1", [{"code": "code"}], ["ele-1"], False, False,
     {"strength": "preferred", "valueSet": "http://hl7.org/fhir/ValueSet/languages"}, "Resource"),
    ("text", 0, "1", [{"code": "Narrative"}], ["ele-1"], False, False, None, "DomainResource"),
    ("contained", 0, "*", [{"code": "Resource"}], [], False, False, None, "DomainResource"),
    ("extension", 0, "*", [{"code": "Extension"}], ["ele-1", "ext-1"], False, False, None, "DomainResource"),
    ("modifierExtension", 0, "*", [{"code": "Extension"}], ["ele-1", "ext-1"], False, True, None, "DomainResource"),
]
_R5_RESOURCE = [
    ("id", 0, "1", [_sys("id")], [], True, False, None, "Resource"),
    ("meta", 0, "1", [{"code": "Meta"}], ["ele-1"], True, False, None, "Resource"),
    ("implicitRules", 0, "1", [{"code": "uri"}], ["ele-1"], True, True, None, "Resource"),
    ("language", 0, "1", [{"code": "code"}], ["ele-1"], False, False,
     {"strength": "required", "valueSet": "http://hl7.org/fhir/ValueSet/all-languages"}, "Resource"),
    ("text", 0, "1", [{"code": "Narrative"}], ["ele-1"], False, False, None, "DomainResource"),
    ("contained", 0, "*", [{"code": "Resource"}], [], False, False, None, "DomainResource"),
    ("extension", 0, "*", [{"code": "Extension"}], ["ele-1", "ext-1"], False, False, None, "DomainResource"),
    ("modifierExtension", 0, "*", [{"code": "Extension"}], ["ele-1", "ext-1"], True, True, None, "DomainResource"),
]
# identical in R4 and R5
_BACKBONE = [
    ("id", 0, "1", [_sys("string")], [], False, False, None, "Element"),
    ("extension", 0, "*", [{"code": "Extension"}], ["ele-1", "ext-1"], False, False, None, "Element"),
    ("modifierExtension", 0, "*", [{"code": "Extension"}], ["ele-1", "ext-1"], True, True, None, "BackboneElement"),
]

BASES = {
    "r4": {
        "label": version_table().row("r4").label,
        "constraints": {**_dom(_DOM3_R4), "ele-1": _ELE_1, "ext-1": _EXT_1},
        "resource": _R4_RESOURCE,
        "backbone": _BACKBONE,
    },
    "r5": {
        "label": version_table().row("r5").label,
        "constraints": {**_dom(_DOM3_R5), "ele-1": _ELE_1, "ext-1": _EXT_1},
        "resource": _R5_RESOURCE,
        "backbone": _BACKBONE,
    },
}


# --- the element DSL ------------------------------------------------------------------------------

@dataclass
class El:
    """One seeded element. ``card`` is "min..max"; ``children`` makes it a backbone element."""

    name: str
    card: str
    type: str
    req: str
    targets: tuple[str, ...] = ()
    summary: bool = False
    modifier: bool = False
    binding: tuple[str, str] | None = None  # (strength, value set url without |version)
    children: list["El"] = field(default_factory=list)


def el(name: str, card: str, type_: str, req: str, *, targets=(), summary=False, modifier=False,
       binding=None, children=None) -> El:
    if children and type_ != "BackboneElement":
        raise ValueError(f"{name}: only BackboneElement has children")
    return El(name, card, type_, req, tuple(targets), summary, modifier, binding, list(children or []))


def _base_element(path: str, spec: tuple, req: str) -> dict:
    name, mn, mx, types, cons, summary, modifier, binding, _owner = spec
    e = {"path": path, "min": mn, "max": mx, "types": [dict(t) for t in types], "constraints": list(cons),
         "requirement": req}
    if summary:
        e["summary"] = True
    if modifier:
        e["modifier"] = True
    if binding:
        e["binding"] = dict(binding)
    return e


def _seeded_element(path: str, x: El) -> dict:
    mn, mx = x.card.split("..")
    t: dict = {"code": x.type}
    if x.targets:
        if x.type not in ("Reference", "canonical", "CodeableReference"):
            raise ValueError(f"{path}: targets on a {x.type}")
        t["targets"] = list(x.targets)
    e = {"path": path, "min": int(mn), "max": mx, "types": [t], "constraints": ["ele-1"], "requirement": x.req}
    if x.summary:
        e["summary"] = True
    if x.modifier:
        e["modifier"] = True
    if x.binding:
        strength, url = x.binding
        if "|" in url:
            raise ValueError(f"{path}: binding value set must be given without |version")
        e["binding"] = {"strength": strength, "valueSet": url}
    return e


def resource_type(name: str, base: str, *, root_req: str, inherited_req: str, elements: list[El]) -> dict:
    """A complete snapshot for a DomainResource specialisation, in FORMAT.md's compact shape.

    root_req: citation of the resource itself; inherited_req: citation of the seed's "elements defined
    in ancestors" line, completed per element with where its definition was copied from.
    """
    b = BASES[base]
    label = b["label"]
    out = [{
        "path": name, "min": 0, "max": "*", "types": [], "constraints": list(DOM_KEYS),
        "requirement": f"{root_req}; dom-2..dom-6 copied from {label} DomainResource",
    }]
    for spec in b["resource"]:
        out.append(_base_element(f"{name}.{spec[0]}", spec,
                                 f"{inherited_req}; definition copied from {label} {spec[8]}.{spec[0]}"))

    def walk(parent: str, items: list[El]) -> None:
        seen = set()
        for x in items:
            if x.name in seen:
                raise ValueError(f"{parent}.{x.name} defined twice")
            seen.add(x.name)
            path = f"{parent}.{x.name}"
            out.append(_seeded_element(path, x))
            if x.type == "BackboneElement":
                if not x.children:
                    raise ValueError(f"{path}: backbone element without children")
                head = x.req.split(";")[0].split(" — ")[0]  # seed, section and path of the backbone
                for spec in b["backbone"]:
                    out.append(_base_element(
                        f"{path}.{spec[0]}", spec,
                        f"{head} (a BackboneElement); its {spec[0]}: definition copied from {label} "
                        f"{spec[8]}.{spec[0]}"))
                walk(path, x.children)

    walk(name, elements)
    return {
        "name": name,
        "kind": "resource",
        "abstract": False,
        "base": "DomainResource",
        "url": f"http://hl7.org/fhir/StructureDefinition/{name}",
        "primitive": None,
        "constraints": {k: dict(v) for k, v in b["constraints"].items()},
        "elements": out,
    }


def search_param(resource: str, code: str, type_: str, expression: str, req: str, target=()) -> dict:
    """A search parameter in FORMAT.md's shape. The seeds give no url, modifiers, comparators,
    multipleOr/multipleAnd or chains: url follows SearchParameter/<Resource>-<code>, lists are empty
    and multipleOr/multipleAnd are null (not stated)."""
    return {
        "url": f"http://hl7.org/fhir/SearchParameter/{resource}-{code}",
        "code": code,
        "name": code,
        "base": [resource],
        "type": type_,
        "expression": expression,
        "target": list(target),
        "modifier": [],
        "comparator": [],
        "multipleOr": None,
        "multipleAnd": None,
        "chain": [],
        "requirement": req,
    }


def enumerated(name: str, version: str, codes: dict[str, list[str]], req: str, external=()) -> dict:
    return {"name": name, "version": version, "expandable": True,
            "codes": {s: sorted(c) for s, c in codes.items()}, "external": list(external), "requirement": req}


def not_enumerated(name: str, version: str, reason: str, req: str) -> dict:
    return {"name": name, "version": version, "expandable": False, "reason": reason, "requirement": req}
