"""FHIR 6.0.0-ballot2: ImagingSelection, transcribed from seed 004.

Seed 004 is a YAML-like summary of the ImagingSelection StructureDefinition of hl7.fhir.r6.core
6.0.0-ballot2: per element short, type, isSummary, isModifier, ``array: true`` (repeats), ``refers``
(reference targets), ``binding`` and an ``index`` (snapshot order), plus ``required: [...]`` lists per
level. Reading rules used here: min is 1 when the element is in its level's ``required`` list or has
``min: 1``, else 0; max is "*" when ``array: true``, else "1"; element order is by ``index``. It
states no invariants and has no search parameter table.
"""

from __future__ import annotations

from _version_table import version_table
from seeded.base import el, enumerated, not_enumerated, resource_type

SEED = "shared/seeds/004_7f17bba17dbbda96.txt"
VERSION = "r6-ballot2"
_ROW = version_table().row(VERSION)
FHIR_VERSION, INHERITS = _ROW.fhir_version, _ROW.inherits  # the version table's
TAG = "seed 004 (ImagingSelection R6 ballot2)"

# binding URLs exactly as the seed gives them, "|6.0.0-ballot2" moved to the value set's version
STATUS = "http://hl7.org/fhir/ValueSet/imagingselection-status"
GRAPHIC_2D = "http://hl7.org/fhir/ValueSet/imagingselection-2dgraphictype"
GRAPHIC_3D = "http://hl7.org/fhir/ValueSet/imagingselection-3dgraphictype"
PERFORMER_FUNCTION = "http://hl7.org/fhir/ValueSet/series-performer-function"
CID_7010 = "http://dicom.nema.org/medical/dicom/current/output/chtml/part16/sect_CID_7010.html"
BODY_SITE = "http://hl7.org/fhir/ValueSet/body-site"
# code systems: not printed in the seed; FHIR's http://hl7.org/fhir/<value set id> convention
STATUS_SYSTEM = "http://hl7.org/fhir/imagingselection-status"
GRAPHIC_2D_SYSTEM = "http://hl7.org/fhir/imagingselection-2dgraphictype"
GRAPHIC_3D_SYSTEM = "http://hl7.org/fhir/imagingselection-3dgraphictype"


def S(where: str, index: int, what: str) -> str:
    return f"{TAG} §StructureDefinition summary: {where} (index {index}): {what}"


X = "ImagingSelection"

ELEMENTS = [
    el("identifier", "0..*", "Identifier",
       S(f"{X}.identifier", 0, "type Identifier, array, isSummary true"), summary=True),
    el("status", "1..1", "code",
       S(f"{X}.status", 1, "'available | entered-in-error | inactive | unknown', type code, isModifier true, isSummary "
                           "true, binding required imagingselection-status|6.0.0-ballot2; top-level required: [status, code]"),
       summary=True, modifier=True, binding=("required", STATUS)),
    el("category", "0..*", "CodeableConcept",
       S(f"{X}.category", 2, "type CodeableConcept, array, isSummary true, binding example CID 7010"),
       summary=True, binding=("example", CID_7010)),
    el("code", "1..1", "CodeableConcept",
       S(f"{X}.code", 3, "'Imaging Selection purpose text or code', isSummary true, binding example CID 7010; "
                         "top-level required: [status, code]"),
       summary=True, binding=("example", CID_7010)),
    el("subject", "0..1", "Reference",
       S(f"{X}.subject", 4, "refers Device, Group, Medication, Patient, Practitioner, Procedure, Specimen, Substance; "
                            "isSummary true"),
       targets=["Device", "Group", "Medication", "Patient", "Practitioner", "Procedure", "Specimen", "Substance"],
       summary=True),
    el("issued", "0..1", "instant", S(f"{X}.issued", 5, "type instant, isSummary true"), summary=True),
    el("performer", "0..*", "BackboneElement",
       S(f"{X}.performer", 6, "'Selectors of the instances (human or machine)', array, isSummary true"), summary=True,
       children=[
           el("function", "0..1", "CodeableConcept",
              S(f"{X}.performer.function", 7, "isSummary true, binding extensible series-performer-function"),
              summary=True, binding=("extensible", PERFORMER_FUNCTION)),
           el("actor", "0..1", "Reference",
              S(f"{X}.performer.actor", 8, "refers CareTeam, Device, HealthcareService, Organization, Patient, "
                                           "Practitioner, PractitionerRole, RelatedPerson; isSummary true"),
              targets=["CareTeam", "Device", "HealthcareService", "Organization", "Patient", "Practitioner",
                       "PractitionerRole", "RelatedPerson"], summary=True),
       ]),
    el("basedOn", "0..*", "Reference",
       S(f"{X}.basedOn", 9, "refers Appointment, AppointmentResponse, CarePlan, ServiceRequest, Task; array, isSummary true"),
       targets=["Appointment", "AppointmentResponse", "CarePlan", "ServiceRequest", "Task"], summary=True),
    el("derivedFrom", "0..*", "Reference",
       S(f"{X}.derivedFrom", 10, "refers DocumentReference, ImagingStudy; array, isSummary true"),
       targets=["DocumentReference", "ImagingStudy"], summary=True),
    el("studyUid", "0..1", "id", S(f"{X}.studyUid", 11, "'DICOM Study Instance UID', type id, isSummary true"), summary=True),
    el("seriesUid", "0..1", "id", S(f"{X}.seriesUid", 12, "'DICOM Series Instance UID', type id, isSummary true"),
       summary=True),
    el("seriesNumber", "0..1", "unsignedInt",
       S(f"{X}.seriesNumber", 13, "'DICOM Series Number', type unsignedInt, isSummary true"), summary=True),
    el("frameOfReferenceUid", "0..1", "id", S(f"{X}.frameOfReferenceUid", 14, "type id, isSummary true"), summary=True),
    el("bodySite", "0..*", "CodeableReference",
       S(f"{X}.bodySite", 15, "type CodeableReference (no refers given), array, isSummary true, binding example body-site"),
       summary=True, binding=("example", BODY_SITE)),
    el("focus", "0..*", "Reference", S(f"{X}.focus", 16, "refers ImagingSelection; array, isSummary true"),
       targets=["ImagingSelection"], summary=True),
    el("endpoint", "0..*", "Reference", S(f"{X}.endpoint", 17, "refers Endpoint; array, isSummary true"),
       targets=["Endpoint"], summary=True),
    el("instance", "0..*", "BackboneElement", S(f"{X}.instance", 18, "'The selected instances', array, isSummary true"),
       summary=True, children=[
           el("uid", "1..1", "id",
              S(f"{X}.instance.uid", 19, "'DICOM SOP Instance UID', type id, isSummary true; instance required: [uid]"),
              summary=True),
           el("number", "0..1", "unsignedInt",
              S(f"{X}.instance.number", 20, "'DICOM Instance Number', type unsignedInt, isSummary true"), summary=True),
           el("sopClass", "0..1", "oid",
              S(f"{X}.instance.sopClass", 21, "'DICOM SOP Class UID', type oid, isSummary false")),
           el("subset", "0..*", "string",
              S(f"{X}.instance.subset", 22, "'The selected subset of the SOP Instance', type string, array")),
           el("imageRegion2D", "0..*", "BackboneElement",
              S(f"{X}.instance.imageRegion2D", 23, "'A specific 2D region in a DICOM image / frame', array, isSummary false"),
              children=[
                  el("regionType", "1..1", "code",
                     S(f"{X}.instance.imageRegion2D.regionType", 24,
                       "'point | polyline | multipoint | circle | ellipse', binding required "
                       "imagingselection-2dgraphictype|6.0.0-ballot2; required: [coordinate, regionType]"),
                     binding=("required", GRAPHIC_2D)),
                  el("coordinate", "1..*", "decimal",
                     S(f"{X}.instance.imageRegion2D.coordinate", 25,
                       "min 1, type decimal, array, orderMeaning 'The values are an ordered set of (x, y) coordinates.'")),
              ]),
       ]),
    el("imageRegion3D", "0..*", "BackboneElement",
       S(f"{X}.imageRegion3D", 26, "'A specific 3D region in a DICOM frame of reference', array, isSummary false"),
       children=[
           el("regionType", "1..1", "code",
              S(f"{X}.imageRegion3D.regionType", 27,
                "'point | multipoint | polyline | polygon | ellipse | ellipsoid', binding required "
                "imagingselection-3dgraphictype|6.0.0-ballot2; required: [coordinate, regionType]"),
              binding=("required", GRAPHIC_3D)),
           el("coordinate", "1..*", "decimal",
              S(f"{X}.imageRegion3D.coordinate", 28,
                "min 1, type decimal, array, orderMeaning 'The values are an ordered set of (x, y, z) coordinates.'")),
       ]),
]

TYPES = {
    "ImagingSelection": resource_type(
        "ImagingSelection", INHERITS,
        root_req=(f"{TAG} §StructureDefinition summary: ImagingSelection (kind resource, derivation specialization, "
                  "base DomainResource, version 6.0.0-ballot2)"),
        inherited_req=(f"{TAG} §StructureDefinition summary: 'base: http://hl7.org/fhir/StructureDefinition/"
                       "DomainResource' (the summary lists no inherited elements)"),
        elements=ELEMENTS,
    ),
}

_CODES_NOTE = ("code system URL not printed in the seed (FHIR's http://hl7.org/fhir/<value set id> convention); only "
               "the code matters for this code-typed element")

VALUESETS = {
    STATUS: enumerated(
        "ImagingSelectionStatus", FHIR_VERSION,
        {STATUS_SYSTEM: ["available", "entered-in-error", "inactive", "unknown"]},
        f"{TAG} §StructureDefinition summary: ImagingSelection.status binding required "
        f"'{STATUS}|6.0.0-ballot2', short 'available | entered-in-error | inactive | unknown'; {_CODES_NOTE}"),
    GRAPHIC_2D: enumerated(
        "ImagingSelection2DGraphicType", FHIR_VERSION,
        {GRAPHIC_2D_SYSTEM: ["point", "polyline", "multipoint", "circle", "ellipse"]},
        f"{TAG} §StructureDefinition summary: ImagingSelection.instance.imageRegion2D.regionType binding required "
        f"'{GRAPHIC_2D}|6.0.0-ballot2', short 'point | polyline | multipoint | circle | ellipse'; {_CODES_NOTE}"),
    GRAPHIC_3D: enumerated(
        "ImagingSelection3DGraphicType", FHIR_VERSION,
        {GRAPHIC_3D_SYSTEM: ["point", "multipoint", "polyline", "polygon", "ellipse", "ellipsoid"]},
        f"{TAG} §StructureDefinition summary: ImagingSelection.imageRegion3D.regionType binding required "
        f"'{GRAPHIC_3D}|6.0.0-ballot2', short 'point | multipoint | polyline | polygon | ellipse | ellipsoid'; "
        f"{_CODES_NOTE}"),
    PERFORMER_FUNCTION: not_enumerated(
        "ImagingStudySeriesPerformerFunction", FHIR_VERSION, "not enumerated in seed 004",
        f"{TAG} §StructureDefinition summary: ImagingSelection.performer.function binding extensible "
        f"'{PERFORMER_FUNCTION}'"),
}

# seed 004 has no search parameters
SEARCH_PARAMETERS: list = []

MANIFEST = {
    "version": VERSION,
    "fhirVersion": FHIR_VERSION,
    "source": {
        "seeds": [SEED],
        "note": (
            "Hand-authored from seed 004 (summary of the ImagingSelection StructureDefinition in hl7.fhir.r6.core "
            "6.0.0-ballot2). Defines only ImagingSelection and inherits r5: all datatypes and all other resources are "
            "validated with the R5 5.0.0 definitions, and the inherited Resource/DomainResource/BackboneElement "
            "elements and dom-2..dom-6, ele-1, ext-1 are copied from R5 5.0.0. Cardinalities read from the summary: "
            "min 1 for the 'required' lists (status, code; instance.uid; regionType and coordinate of both image "
            "regions) and 'min: 1', max '*' for 'array: true'. UIDs are id, except instance.sopClass which is oid; "
            "bodySite is CodeableReference 0..* with no target given. Binding URLs are the seed's with '|6.0.0-ballot2' "
            "moved to the value set version (FORMAT.md); the codes of the three required value sets are the seed's "
            "short texts, under code system URLs the seed does not print (http://hl7.org/fhir/imagingselection-status, "
            "-2dgraphictype, -3dgraphictype). The seed states no invariants and no search parameters: none are defined "
            "here, so the loader falls back to r5's ImagingSelection search parameters."
        ),
    },
    "inherits": INHERITS,
    "types": {"ImagingSelection": "resource"},
}
