"""The rule registry: every rule id the validator can report, with its severity and the requirement it enforces.

A rule is registered once, with the words of its requirement, where its check is written:
- the rules raised inside the structure walk and the input readers (input, json, structure,
  narrative, extension, reference, bundle, binding, invariant) are registered here, in this module;
- each imaging check registers its rules on the function itself, under its ``@check`` line
  (``harness/imaging/``): ``@rule(id, severity, title, requirement)`` defines a rule that the function
  reports, ``@reports(id)`` names a rule defined at another check that the function reports too.

``docs/rules.md`` is generated from the registry by ``python -m harness.catalog`` (which imports the
imaging checks so that every rule is registered). Invariants from the definitions are reported as
``invariant.<key>`` and counted under the family entry ``invariant.*``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TypeVar

from harness.validation.issues import ERROR, INFORMATION, MAX_ISSUES, WARNING
from harness.validation.references import CONDITIONAL_WORDS, FULL_URL_WORDS

F = TypeVar("F", bound=Callable)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: str  # default severity
    title: str
    requirement: str  # where the rule comes from, with the spec's words where it has them

    def __call__(self, fn: F) -> F:
        """As a decorator: fn is a check that reports this rule (recorded for the registry and its tests)."""
        return reports(self.id)(fn)


_RULES: dict[str, Rule] = {}
_CHECKS: dict[str, list[str]] = {}  # rule id -> "module.function" of each check that reports it


def rule(id: str, severity: str, title: str, requirement: str) -> Rule:
    """Register a rule (once: a second registration of the same id is an error)."""
    if id in _RULES:
        raise ValueError(f"rule {id} registered twice")
    r = Rule(id, severity, title, requirement)
    _RULES[id] = r
    return r


def reports(*rule_ids: str) -> Callable[[F], F]:
    """Decorator: the check reports these rules, registered with @rule at another check (or here)."""
    def record(fn: F) -> F:
        name = f"{fn.__module__}.{fn.__qualname__}"
        for rule_id in rule_ids:
            _CHECKS.setdefault(rule_id, []).append(name)
        return fn
    return record


def get(rule_id: str) -> Rule:
    if rule_id.startswith("invariant.") and rule_id not in _RULES:
        return _RULES["invariant.*"]
    return _RULES[rule_id]


def registered(rule_id: str) -> bool:
    """Whether an issue with this rule id names a registered rule (invariant.<key>: the family)."""
    return rule_id in _RULES or (rule_id.startswith("invariant.") and rule_id != "invariant.")


def all_rules() -> list[Rule]:
    return sorted(_RULES.values(), key=lambda r: r.id)


def checks(rule_id: str) -> list[str]:
    """The checks ("module.function") registered as reporting this rule, in registration order."""
    return list(_CHECKS.get(rule_id, ()))


def declared() -> dict[str, frozenset[str]]:
    """check ("module.function") -> the rule ids it is registered as reporting."""
    out: dict[str, set[str]] = {}
    for rule_id, names in _CHECKS.items():
        for name in names:
            out.setdefault(name, set()).add(rule_id)
    return {name: frozenset(ids) for name, ids in out.items()}


_JSON = "FHIR JSON format (json.html)"


# --- input and FHIR JSON rules -------------------------------------------------------------------
rule("input.unreadable", ERROR, "The file cannot be read",
     "The source must be a readable file (a JSON resource, a Bundle or NDJSON).")
rule("input.too-many-issues", ERROR, "More issues than are reported per resource",
     f"imaging-harness: at most {MAX_ISSUES} issues are reported per resource; one more issue counts the rest "
     "(as severe as the worst of them), so a hostile input cannot make a huge report or answer.")
rule("json.syntax", ERROR, "Not strict JSON",
     f"{_JSON}: resources are represented as JSON (RFC 8259); comments, trailing commas, unquoted "
     "names, NaN/Infinity and invalid UTF-8 are not JSON.")
rule("json.duplicate-key", ERROR, "A property appears twice in one object",
     f"{_JSON}: each element appears once as a JSON property (repeating elements are one array); "
     "RFC 8259 §4: names within an object SHOULD be unique.")
rule("json.null", ERROR, "null used outside a primitive-extension array placeholder",
     f"{_JSON} §Representation of primitive elements: null is only used as a placeholder in an array "
     "when the matching _element array has a value at that position.")
rule("json.empty", ERROR, "Empty string, object or array",
     f"{_JSON}: elements are never empty; empty strings, objects and arrays are not allowed "
     "(string: 'Strings SHALL NOT be empty', datatypes page).")
rule("json.fhir-comments", WARNING, "fhir_comments present (ignored)",
     f"{_JSON}: fhir_comments, DSTU2's convention for comments, was removed after DSTU2; it is not a FHIR "
     "element and is ignored, as HL7's reference validator ignores it (docs/reference-validator.md).")
rule("json.not-a-resource", ERROR, "The JSON value is not a resource",
     f"{_JSON}: a resource is a JSON object with a resourceType property.")
rule("json.number-range", ERROR, "A number outside the range of its type",
     "FHIR datatypes: integer is a signed 32-bit integer; decimal must be a finite JSON number.")

# --- structure -------------------------------------------------------------------------------------
rule("structure.unknown-resource-type", ERROR, "resourceType is not a resource of this version",
     "Resource list of the FHIR version: resourceType names a concrete resource type it defines.")
rule("structure.abstract-type", ERROR, "resourceType names an abstract type",
     "Resource, DomainResource and other abstract types cannot be instantiated.")
rule("structure.json-kind", ERROR, "Wrong JSON kind (object / array / primitive)",
     f"{_JSON}: repeating elements are arrays, single elements are not; complex types are objects; "
     "boolean, integer and decimal primitives are JSON booleans and numbers, all others strings.")
rule("structure.cardinality", ERROR, "Element count outside min..max",
     "ElementDefinition.min / ElementDefinition.max of the resource's StructureDefinition.")
rule("structure.unknown-element", ERROR, "Property not defined for this type",
     f"{_JSON}: only the elements the type defines may appear (plus _element for primitives).")
rule("structure.choice-type", ERROR, "More than one type of a choice element [x]",
     "Choice elements [x]: only one of the types may be present (formats.html#choice).")
rule("structure.primitive-format", ERROR, "Primitive value does not match its type",
     "FHIR datatypes page: the value of each primitive matches the type's regex and meaning "
     "(e.g. dates exist in the calendar, integer is 32-bit).")
rule("structure.primitive-extension", ERROR, "_element does not line up with its primitive",
     f"{_JSON} §Representation of primitive elements: _element holds id/extension only; for arrays "
     "both arrays have the same length and null fills positions with no value or no extension.")
rule("structure.reference-target", ERROR, "Reference points to a type the element does not allow",
     "ElementDefinition.type.targetProfile: a literal reference or Reference.type names one of the "
     "allowed target resource types.")
rule("structure.resource-id", ERROR, "Resource id is not a valid id",
     "Resource.id: 'Any combination of upper- or lower-case ASCII letters, numerals, \"-\" and \".\", "
     "with a length limit of 64 characters' (datatypes, id).")
rule("structure.inherited-definition", INFORMATION, "Type taken from another version's definitions",
     "Hand-authored versions define only their seeded resources; other types come from the version "
     "their manifest inherits from.")

# --- narrative, extensions, contained --------------------------------------------------------------
rule("narrative.xhtml", ERROR, "Narrative div is not well-formed XHTML",
     "Narrative.div: 'The actual narrative content, a stripped down version of XHTML' — an xhtml "
     "div element in the XHTML namespace, well-formed XML.")
rule("extension.url", ERROR, "Extension url missing or not absolute",
     "Extension.url: 'Source of the definition for the extension code - a logical name or a URL' "
     "(1..1); extensibility.html: the url SHALL be an absolute URL.")
rule("extension.unknown", WARNING, "Extension definition not known to the validator",
     "extensibility.html: an extension's definition is found by its url; unknown definitions cannot "
     "be checked (warning, not error).")
rule("extension.modifier", WARNING, "Unknown modifier extension",
     "extensibility.html §modifierExtension: a system that does not understand a modifier extension "
     "SHALL NOT process the resource as if it were not there.")

rule("reference.conditional", ERROR, "Conditional reference outside a transaction, or with a malformed query",
     f"{CONDITIONAL_WORDS} (STU3, R4, R5; name=value parameters joined by '&').")
rule("bundle.full-url", ERROR, "Bundle.entry.fullUrl is not an absolute URL",
     f"{FULL_URL_WORDS}, in R4 and R5; 'Patient/1' is relative.")

# --- bindings --------------------------------------------------------------------------------------
rule("binding.required", ERROR, "Code not in the required value set",
     "ElementDefinition.binding strength required: 'To be conformant, the concept in this element "
     "SHALL be from the specified value set.'")
rule("binding.extensible", WARNING, "No coding from the extensible value set",
     "ElementDefinition.binding strength extensible: 'To be conformant, the concept in this element "
     "SHALL be from the specified value set if any of the codes within the value set can apply.'")
rule("binding.unchecked", INFORMATION, "Required binding to a value set that cannot be expanded here",
     "Required bindings are checked only where the value set can be expanded from the definitions.")

# --- invariants ------------------------------------------------------------------------------------
rule("invariant.*", ERROR, "A constraint (ElementDefinition.constraint) is not met",
     "ElementDefinition.constraint: each invariant's FHIRPath expression SHALL evaluate to true; "
     "reported as invariant.<key> with the constraint's own severity and human text.")
rule("invariant.not-evaluated", WARNING, "A constraint could not be evaluated",
     "Constraints the evaluator cannot run are reported, never silently passed.")
