"""The rule catalog: every rule id the validator can report, with the requirement it enforces.

Rule functions are registered against these ids (``harness.validation.rules``); ``docs/rules.md``
is generated from this table by ``python -m harness.validation.catalog``. Invariants from the
definitions are reported as ``invariant.<key>`` and listed per version in the generated document.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.validation.issues import ERROR, INFORMATION, MAX_ISSUES, WARNING


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: str  # default severity
    title: str
    requirement: str  # where the rule comes from, with the spec's words where it has them


_JSON = "FHIR JSON format (json.html)"
_RULES: dict[str, Rule] = {}


def rule(id: str, severity: str, title: str, requirement: str) -> Rule:
    if id in _RULES:
        raise ValueError(f"rule {id} registered twice")
    r = Rule(id, severity, title, requirement)
    _RULES[id] = r
    return r


def get(rule_id: str) -> Rule:
    if rule_id.startswith("invariant.") and rule_id not in _RULES:
        return _RULES["invariant.*"]
    return _RULES[rule_id]


def all_rules() -> list[Rule]:
    return sorted(_RULES.values(), key=lambda r: r.id)


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


# --- imaging rules (harness/imaging/) ------------------------------------------------------------
_SERIES = ("ImagingSelection R5 5.0.0 / R6 ballot 2 (seed 004): 'A selection of DICOM SOP instances and/or "
           "frames within a single Study and Series'; R5 snapshot 1 (seed 001): 'All DICOM SOP Instances "
           "referenced shall be part of the same DICOM Series (and therefore also the same DICOM Study).'")
rule("imaging.uid", ERROR, "Not a valid DICOM UID",
     "DICOM PS3.5 §9.1: 'Each component of a UID is a number and shall consist of one or more digits. "
     "The first digit of each component shall not be zero unless the component is a single digit.' … "
     "UIDs 'shall not exceed 64 total characters'. Applied to every UID-bearing element of every version.")
rule("imaging.study-identifier", ERROR, "DICOM UID identifier not encoded as urn:oid, or more than one Study UID",
     "ImagingStudy R4 (seed 002): 'When encoding a DICOM UID in an Identifier datatype, use the Identifier "
     "system of \"urn:dicom:uid\", and prefix the UID value with \"urn:oid:\".' and 'An ImagingStudy SHALL "
     "reference one DICOM Study' (so at most one Study Instance UID identifier).")
rule("imaging.series-uid-required", ERROR, "Instances selected without the series and study they belong to",
     _SERIES + " Instances are only identified within their series: a selection listing instances "
     "names the seriesUid and studyUid they belong to.")
rule("imaging.duplicate-uid", ERROR, "A UID listed twice at one level, or an instance in two series",
     "DICOM PS3.3 / PS3.5 §9: a UID identifies one study, one series, one SOP instance; an instance "
     "belongs to exactly one series (PS3.3 A.1.2 Information Entities: Study ⊃ Series ⊃ Instance).")
rule("imaging.single-series", ERROR, "Selected instances are not all in the selection's one series",
     _SERIES + " Checked against the ImagingStudy the selection derives from (same Bundle, contained, "
     "directory, --context, or the server): seriesUid is a series of that study and no selected "
     "instance is listed there under another series.")
rule("imaging.study-mismatch", ERROR, "studyUid contradicts the study the resource derives from",
     _SERIES + " The Study Instance UID of the ImagingStudy named in derivedFrom (by reference or by a "
     "urn:dicom:uid identifier) equals the selection's studyUid.")
rule("imaging.series-number", ERROR, "seriesNumber differs from the series number in the study",
     "ImagingSelection.seriesNumber (R5 5.0.0): 'The Series Number for the selected DICOM Series'; it "
     "equals ImagingStudy.series.number of the series with the same seriesUid.")
rule("imaging.unresolved", INFORMATION, "A resource a rule needs could not be found",
     "A rule that needs another resource and cannot resolve it says so; it is never counted as a pass.")
rule("imaging.study-counts", ERROR, "numberOfSeries / numberOfInstances smaller than what is listed",
     "ImagingStudy.numberOfSeries / numberOfInstances / series.numberOfInstances (R4, R5): 'Number of "
     "Series in the Study. This value given may be larger than the number of series elements this "
     "Resource contains due to resource availability, security, or other factors.' — never smaller.")
rule("imaging.study-modality", WARNING, "A series modality missing from the study's modality list",
     "ImagingStudy.modality: R5 'A list of all the distinct values of series.modality'; R4 'A list of "
     "all the series.modality values that are actual acquisition modalities'.")
rule("imaging.one-patient", ERROR, "Referenced studies belong to another patient",
     "ImagingExcerpt 1.4.0 (seed 000): 'The referenced SOP Instances (images or other content) are for "
     "a single patient'; ImagingManifest STU3 and ImagingSelection (one series of one study) likewise: "
     "the subject (STU3: patient) of every referenced ImagingStudy is the resource's patient/subject.")
rule("imaging.frame-number", ERROR, "Frame, segment or ROI list malformed, duplicated, or numbered from 0",
     "ImagingSelection R5 snapshot 1 (seed 001) frameList: 'Encoded as a comma separated list of one or "
     "more non duplicate frame numbers' (segmentList, roiList alike); DICOM PS3.3 Table 10-3 Referenced "
     "Frame Number: 'The first frame shall be denoted as frame number 1'; applied to R5/R6 "
     "instance.subset and 1.4.0 frameNumbers.")
rule("imaging.region-geometry", ERROR, "Region coordinates do not fit the region type",
     "DICOM PS3.3 C.18.6 (2D) / C.18.9 (3D) graphic types, as worded by the ImagingSelection graphic "
     "type code systems: coordinates are whole (x,y) pairs or (x,y,z) triplets; point 1, circle 2, "
     "ellipse 4, ellipsoid 6, polyline/interpolated ≥2, multipoint ≥1, polygon closed with ≥4.")
rule("imaging.region-frame-of-reference", ERROR, "3D region without a frame of reference",
     "ImagingSelection imageRegion3D.coordinate (R5 5.0.0): '(x,y,z) triplets … in the patient-relative "
     "Reference Coordinate System defined by ImagingSelection.frameOfReferenceUid element' (seed 001: "
     "'in the coordinate system specified by the frameOfReferenceUid element').")
rule("imaging.region-coplanar", WARNING, "3D polygon points are not coplanar",
     "ImagingSelection 3D graphic type polygon (R5 5.0.0, DICOM PS3.3 C.18.9): 'the points shall be "
     "coplanar'. A warning: coordinates are decimals and planarity is checked within a tolerance.")
rule("imaging.endpoint-address", ERROR, "DICOM endpoint address breaks the connection type's URL rule",
     "ImagingStudy R4 §Endpoint (seed 002): WADO-RS 'only the scheme, authority and path are included. "
     "Sub-services, such as study, shall not be specified. The path shall not contain a trailing "
     "slash.'; WADO-URI and IID: 'Neither a question mark (\"?\") nor any query parameters shall be "
     "included.'")
rule("imaging.endpoint-level", WARNING, "IHE IID endpoint used at series level",
     "ImagingStudy R4 §Endpoint (seed 002): 'An IID-type Endpoint should be used only at the study level.'")


def render_markdown() -> str:
    lines = ["# Rule catalog", "", "Generated from `harness/validation/catalog.py`.", "",
             "| rule | severity | what | requirement |", "|---|---|---|---|"]
    for r in all_rules():
        lines.append(f"| `{r.id}` | {r.severity} | {r.title} | {r.requirement} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render_markdown(), end="")
