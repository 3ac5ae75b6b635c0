"""FHIR 5.0.0-snapshot1 (R5 Snapshot #1): ImagingSelection, transcribed from seed 001.

Seed 001 is the page "10.5 Resource ImagingSelection - Content": intro text, the structure table
(printed twice, identical), a UML diagram, XML / JSON / Turtle templates, an untitled bindings list and
the search parameter table. It states no invariant with a key or expression.

The structure table lost two rows in the copy: ``issued`` (only in the UML, XML, JSON and Turtle
templates) and ``imageRegion.regionType`` (its binding "ImagingSelectionGraphicType (Required)" is
printed under the imageRegion row; the element is in the UML and the templates). Both are included,
cited from the templates. Element order follows the XML template (issued between subject and performer).
"""

from __future__ import annotations

from _version_table import version_table
from seeded.base import el, enumerated, not_enumerated, resource_type, search_param

SEED = "shared/seeds/001_fa381ef43e923bdc.txt"
VERSION = "r5-snapshot1"
_ROW = version_table().row(VERSION)
FHIR_VERSION, INHERITS = _ROW.fhir_version, _ROW.inherits  # the version table's
TAG = "seed 001 (ImagingSelection R5 snapshot1)"

# Value set URLs. Seed 001 prints binding *names* only.
GRAPHIC_TYPE = "http://hl7.org/fhir/ValueSet/imagingselection-graphictype"          # ImagingSelectionGraphicType
GRAPHIC_TYPE_SYSTEM = "http://hl7.org/fhir/imagingselection-graphictype"
COORDINATE_TYPE = "http://hl7.org/fhir/ValueSet/imagingselection-coordinatetype"    # ImagingSelectionCoordinateType
COORDINATE_TYPE_SYSTEM = "http://hl7.org/fhir/imagingselection-coordinatetype"
# "ImagingStudy series performer function": URL as seed 004 gives it for the same binding
PERFORMER_FUNCTION = "http://hl7.org/fhir/ValueSet/series-performer-function"
# "sopClass (Extensible)": URL as seed 002 (R4 ImagingStudy) gives it for its binding of the same name
SOP_CLASS = "http://dicom.nema.org/medical/dicom/current/output/chtml/part04/sect_B.5.html#table_B.5-1"
# "ImagingSelectionCode (Example)": URL as seed 004 gives it for ImagingSelection.code
SELECTION_CODE = "http://dicom.nema.org/medical/dicom/current/output/chtml/part16/sect_CID_7010.html"
# "SNOMED CT Body Structures (Example)": URL as seed 004 gives it for ImagingSelection.bodySite
BODY_SITE = "http://hl7.org/fhir/ValueSet/body-site"


def S(path: str, extra: str = "") -> str:
    """Citation of a structure-table row of §Resource Content."""
    return f"{TAG} §Resource Content (structure table): {path}" + (f"; {extra}" if extra else "")


def T(path: str, extra: str) -> str:
    """Citation of the UML diagram / XML / JSON / Turtle templates (rows missing from the table)."""
    return f"{TAG} §Resource Content (UML diagram, XML/JSON/Turtle templates): {path}; {extra}"


BINDINGS = f"{TAG} §bindings list"
X = "ImagingSelection"

ELEMENTS = [
    el("identifier", "0..*", "Identifier", S(f"{X}.identifier"), summary=True),
    el("basedOn", "0..*", "Reference", S(f"{X}.basedOn"),
       targets=["CarePlan", "ServiceRequest", "Appointment", "AppointmentResponse", "Task"], summary=True),
    el("subject", "0..1", "Reference", S(f"{X}.subject"),
       targets=["Patient", "Group", "Device", "Location", "Organization", "Procedure", "Practitioner", "Medication",
                "Substance", "Specimen"], summary=True),
    el("issued", "0..1", "instant",
       T(f"{X}.issued", "'issued : instant [0..1]' (UML), '<issued value=\"[instant]\"/><!-- 0..1 Date / Time when the "
                        "selection of instances was made -->' (XML); row missing from the structure table, so no Σ flag "
                        "is given")),
    el("performer", "0..*", "BackboneElement", S(f"{X}.performer", "'Author (human or machine)'"), summary=True, children=[
        el("function", "0..1", "CodeableConcept",
           S(f"{X}.performer.function", f"'ImagingStudy series performer function (Extensible)'; {BINDINGS} "
                                        "'ImagingSelection.performer.function Extensible ImagingStudySeriesPerformerFunction'"),
           summary=True, binding=("extensible", PERFORMER_FUNCTION)),
        el("actor", "0..1", "Reference", S(f"{X}.performer.actor"),
           targets=["Practitioner", "PractitionerRole", "Device", "Organization", "CareTeam", "Patient", "RelatedPerson",
                    "HealthcareService"], summary=True),
    ]),
    el("code", "1..1", "CodeableConcept",
       S(f"{X}.code", f"'ImagingSelectionCode (Example)'; {BINDINGS} 'ImagingSelection.code Example'"),
       summary=True, binding=("example", SELECTION_CODE)),
    el("studyUid", "0..1", "oid", S(f"{X}.studyUid", "'DICOM Study Instance UID'"), summary=True),
    el("derivedFrom", "0..*", "Reference", S(f"{X}.derivedFrom"), targets=["ImagingStudy"], summary=True),
    el("endpoint", "0..*", "Reference", S(f"{X}.endpoint"), targets=["Endpoint"], summary=True),
    el("seriesUid", "0..1", "oid", S(f"{X}.seriesUid", "'DICOM Series Instance UID'"), summary=True),
    el("frameOfReferenceUid", "0..1", "oid", S(f"{X}.frameOfReferenceUid"), summary=True),
    el("bodySite", "0..1", "Coding",
       S(f"{X}.bodySite", f"'SNOMED CT Body Structures (Example)'; {BINDINGS} 'ImagingSelection.bodySite Example "
                          "SNOMEDCTBodyStructures'"),
       summary=True, binding=("example", BODY_SITE)),
    el("instance", "0..*", "BackboneElement", S(f"{X}.instance", "'The selected instances'"), summary=True, children=[
        el("uid", "1..1", "oid", S(f"{X}.instance.uid", "'DICOM SOP Instance UID'"), summary=True),
        el("sopClass", "0..1", "Coding",
           S(f"{X}.instance.sopClass", f"'sopClass (Extensible)'; {BINDINGS} 'ImagingSelection.instance.sopClass Extensible'"),
           binding=("extensible", SOP_CLASS)),
        el("frameList", "0..1", "string", S(f"{X}.instance.frameList")),
        el("observationUid", "0..*", "oid", S(f"{X}.instance.observationUid")),
        el("segmentList", "0..1", "string", S(f"{X}.instance.segmentList")),
        el("roiList", "0..1", "string", S(f"{X}.instance.roiList")),
    ]),
    el("imageRegion", "0..1", "BackboneElement", S(f"{X}.imageRegion", "'A specific region in a DICOM image / frame'"),
       children=[
           el("regionType", "1..1", "code",
              T(f"{X}.imageRegion.regionType",
                "'regionType : code [1..1] « ImagingSelectionGraphicType! »' (UML), '<regionType value=\"[code]\"/><!-- 1..1 "
                "POINT | MULTIPOINT | POLYLINE | POLYGON | ELLIPSE | ELLIPSOID -->' (XML); the structure table prints its "
                f"binding 'ImagingSelectionGraphicType (Required)' under the imageRegion row; {BINDINGS} "
                "'ImagingSelection.imageRegion.regionType Required ImagingSelectionGraphicType'"),
              binding=("required", GRAPHIC_TYPE)),
           el("coordinateType", "1..1", "code",
              S(f"{X}.imageRegion.coordinateType", f"'2d | 3d ImagingSelectionCoordinateType (Required)'; {BINDINGS} "
                                                   "'ImagingSelection.imageRegion.coordinateType Required "
                                                   "ImagingSelectionCoordinateType'"),
              binding=("required", COORDINATE_TYPE)),
           el("coordinates", "1..*", "decimal", S(f"{X}.imageRegion.coordinates")),
       ]),
]

TYPES = {
    "ImagingSelection": resource_type(
        "ImagingSelection", INHERITS,
        root_req=f"{TAG} §Resource Content (structure table): ImagingSelection (TU, DomainResource)",
        inherited_req=(f"{TAG} §Resource Content (structure table): 'Elements defined in Ancestors: id, meta, "
                       "implicitRules, language, text, contained, extension, modifierExtension'"),
        elements=ELEMENTS,
    ),
}

VALUESETS = {
    GRAPHIC_TYPE: enumerated(
        "ImagingSelectionGraphicType", FHIR_VERSION,
        {GRAPHIC_TYPE_SYSTEM: ["POINT", "MULTIPOINT", "POLYLINE", "POLYGON", "ELLIPSE", "ELLIPSOID"]},
        f"{BINDINGS} 'ImagingSelection.imageRegion.regionType Required ImagingSelectionGraphicType'; codes from the "
        "XML/JSON/Turtle templates 'POINT | MULTIPOINT | POLYLINE | POLYGON | ELLIPSE | ELLIPSOID'; value set and "
        "code system URLs not printed in the seed (only the code matters for this code-typed element)"),
    COORDINATE_TYPE: enumerated(
        "ImagingSelectionCoordinateType", FHIR_VERSION, {COORDINATE_TYPE_SYSTEM: ["2d", "3d"]},
        f"{BINDINGS} 'ImagingSelection.imageRegion.coordinateType Required ImagingSelectionCoordinateType'; codes from "
        "the structure table and templates '2d | 3d'; value set and code system URLs not printed in the seed (only the "
        "code matters for this code-typed element)"),
    PERFORMER_FUNCTION: not_enumerated(
        "ImagingStudySeriesPerformerFunction", FHIR_VERSION, "not enumerated in seed 001",
        f"{BINDINGS} 'ImagingSelection.performer.function Extensible ImagingStudySeriesPerformerFunction'; URL as "
        "seed 004 gives it for the same binding"),
    SOP_CLASS: not_enumerated(
        "sopClass", FHIR_VERSION, "not enumerated in seed 001",
        f"{BINDINGS} 'ImagingSelection.instance.sopClass Extensible'; structure table 'sopClass (Extensible)'; URL as "
        "seed 002 gives it for the binding of the same name on ImagingStudy.series.instance.sopClass"),
}


def _sp(code, type_, expression, row, target=()):
    return search_param("ImagingSelection", code, type_, expression, f"{TAG} §Search parameters row '{row}'", target)


SEARCH_PARAMETERS = [
    _sp("based-on", "reference", "ImagingSelection.basedOn",
        "based-on reference The request associated with an imaging selection ImagingSelection.basedOn (Appointment, "
        "AppointmentResponse, CarePlan, Task, ServiceRequest)",
        ["Appointment", "AppointmentResponse", "CarePlan", "Task", "ServiceRequest"]),
    _sp("body-site", "token", "ImagingSelection.bodySite",
        "body-site token The body site associated with the imaging selection ImagingSelection.bodySite"),
    _sp("code", "token", "ImagingSelection.code",
        "code token The imaging selection description text or code ImagingSelection.code"),
    _sp("derived-from", "reference", "ImagingSelection.derivedFrom",
        "derived-from reference The imaging study from which the imaging selection was derived "
        "ImagingSelection.derivedFrom; no target list in the row, ImagingStudy is the element's only target type",
        ["ImagingStudy"]),
    _sp("identifier", "token", "ImagingSelection.identifier",
        "identifier token Identifiers for the imaging selection ImagingSelection.identifier"),
    _sp("issued", "date", "ImagingSelection.issued",
        "issued N date The date / time the imaging selection was created ImagingSelection.issued"),
    _sp("patient", "reference", "ImagingSelection.subject.where(resolve() is Patient)",
        "patient reference Who the study is about ImagingSelection.subject.where(resolve() is Patient) (Practitioner, "
        "Group, Specimen, Organization, Device, Medication, Patient, Procedure, Substance, Location)",
        ["Practitioner", "Group", "Specimen", "Organization", "Device", "Medication", "Patient", "Procedure", "Substance",
         "Location"]),
    _sp("study-uid", "uri", "ImagingSelection.studyUid",
        "study-uid uri The DICOM Study Instance UID from which the images were selected ImagingSelection.studyUid"),
    _sp("subject", "reference", "ImagingSelection.subject",
        "subject reference The subject of the Imaging Selection, such as the associated Patient ImagingSelection.subject "
        "(Practitioner, Group, Specimen, Organization, Device, Medication, Patient, Procedure, Substance, Location)",
        ["Practitioner", "Group", "Specimen", "Organization", "Device", "Medication", "Patient", "Procedure", "Substance",
         "Location"]),
]

MANIFEST = {
    "version": VERSION,
    "fhirVersion": FHIR_VERSION,
    "source": {
        "seeds": [SEED],
        "note": (
            "Hand-authored from seed 001 (FHIR v5.0.0-snapshot1, '10.5 Resource ImagingSelection - Content'). Defines "
            "only ImagingSelection and inherits r5: all datatypes and all other resources are validated with the R5 "
            "5.0.0 definitions, and the inherited Resource/DomainResource/BackboneElement elements and dom-2..dom-6, "
            "ele-1, ext-1 are copied from R5 5.0.0. DICOM UIDs (studyUid, seriesUid, frameOfReferenceUid, "
            "instance.uid, instance.observationUid) are oid as the seed states. The seed states no keyed invariants. "
            "Two rows missing from the seed's structure table are taken from its UML diagram and XML/JSON/Turtle "
            "templates: issued (instant 0..1, no Σ flag given) and imageRegion.regionType (code 1..1, "
            "ImagingSelectionGraphicType required). The seed prints binding names only; supplied URLs: "
            "ValueSet/imagingselection-graphictype and ValueSet/imagingselection-coordinatetype (codes listed in the "
            "seed, under code systems http://hl7.org/fhir/imagingselection-graphictype and "
            "http://hl7.org/fhir/imagingselection-coordinatetype), series-performer-function and CID 7010 (as seed 004 "
            "names them for the same elements), the DICOM SOP class table and body-site (as seeds 002 and 004 name "
            "them), and the search parameter URLs (SearchParameter/ImagingSelection-<code>)."
        ),
    },
    "inherits": INHERITS,
    "types": {"ImagingSelection": "resource"},
}
