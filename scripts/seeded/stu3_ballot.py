"""FHIR 1.4.0 (STU3 ballot 3): ImagingExcerpt, transcribed from seed 000.

Seed 000 is the ImagingExcerpt page: a Structure table (Name | Flags | Card. | Type | Description &
Constraints), XML and JSON templates, an untitled bindings table (Path | Definition | Type |
Reference), storyboards and a search parameter table (Name | Type | Description | Paths). It states no
invariants. Element order, cardinality, types, Σ flags and binding names follow the Structure table;
the JSON template agrees with it on every element.
"""

from __future__ import annotations

from _version_table import version_table
from seeded.base import El, el, enumerated, not_enumerated, resource_type, search_param

SEED = "shared/seeds/000_961ab96e591430f7.txt"
VERSION = "stu3-ballot"
_ROW = version_table().row(VERSION)
FHIR_VERSION, INHERITS = _ROW.fhir_version, _ROW.inherits  # the version table's
TAG = "seed 000 (ImagingExcerpt 1.4.0)"

# Value set URLs: the seed names the bindings (KOStitle, dWebType, MimeType / "BCP 13 (RFCs 2045, 2046,
# 2047, 4288, 4289 and 2049)") but prints no URL; these are the FHIR URLs of that era.
KOS_TITLE = "http://hl7.org/fhir/ValueSet/kos-title"
DWEB_TYPE = "http://hl7.org/fhir/ValueSet/dWebType"
DWEB_TYPE_SYSTEM = "http://hl7.org/fhir/dWebType"
MIME_TYPE = "http://www.rfc-editor.org/bcp/bcp13.txt"


def S(path: str, extra: str = "") -> str:
    """Citation of a Structure-table row."""
    return f"{TAG} §Structure: {path}" + (f"; {extra}" if extra else "")


B_TITLE = "§Bindings table row 'ImagingExcerpt.title | The document title code of key object selection | Required | KOStitle'"
B_DWEB = ("§Bindings table row 'ImagingExcerpt.study.dicom.type ImagingExcerpt.study.series.dicom.type "
          "ImagingExcerpt.study.series.instance.dicom.type | The type of DICOM web technology available | Required | dWebType'")
B_MIME = ("§Bindings table row 'ImagingExcerpt.study.viewable.contentType | The mime type of an attachment. Any valid "
          "mime type is allowed. | Required | BCP 13 (RFCs 2045, 2046, 2047, 4288, 4289 and 2049)'")


def dicom(parent: str) -> El:
    p = f"{parent}.dicom"
    return el("dicom", "0..*", "BackboneElement", S(p, "'Dicom web access'"), children=[
        el("type", "1..1", "code", S(f"{p}.type", f"'WADO-RS | WADO-URI | IID | WADO-WS' dWebType (Required); {B_DWEB}"),
           binding=("required", DWEB_TYPE)),
        el("url", "1..1", "uri", S(f"{p}.url", "'Retrieve study URL'")),
    ])


I = "ImagingExcerpt"
ELEMENTS = [
    el("uid", "1..1", "oid", S(f"{I}.uid", "Σ 'Instance UID'"), summary=True),
    el("patient", "1..1", "Reference", S(f"{I}.patient"), targets=["Patient"], summary=True),
    el("authoringTime", "0..1", "dateTime", S(f"{I}.authoringTime"), summary=True),
    el("author", "0..1", "Reference", S(f"{I}.author"),
       targets=["Practitioner", "Device", "Organization", "Patient", "RelatedPerson"], summary=True),
    el("title", "1..1", "CodeableConcept", S(f"{I}.title", f"'Reason for selection KOStitle (Required)'; {TAG} {B_TITLE}"),
       summary=True, binding=("required", KOS_TITLE)),
    el("description", "0..1", "string", S(f"{I}.description"), summary=True),
    el("study", "1..*", "BackboneElement", S(f"{I}.study"), summary=True, children=[
        el("uid", "1..1", "oid", S(f"{I}.study.uid", "'Study instance UID'"), summary=True),
        el("imagingStudy", "0..1", "Reference", S(f"{I}.study.imagingStudy"), targets=["ImagingStudy"], summary=True),
        dicom(f"{I}.study"),
        el("viewable", "0..*", "BackboneElement", S(f"{I}.study.viewable", "'Viewable format'"), children=[
            el("contentType", "1..1", "code",
               S(f"{I}.study.viewable.contentType", f"'MimeType (Required)'; {TAG} {B_MIME}"),
               binding=("required", MIME_TYPE)),
            el("height", "0..1", "positiveInt", S(f"{I}.study.viewable.height")),
            el("width", "0..1", "positiveInt", S(f"{I}.study.viewable.width")),
            el("frames", "0..1", "positiveInt", S(f"{I}.study.viewable.frames")),
            el("duration", "0..1", "unsignedInt", S(f"{I}.study.viewable.duration")),
            el("size", "0..1", "unsignedInt", S(f"{I}.study.viewable.size")),
            el("title", "0..1", "string", S(f"{I}.study.viewable.title")),
            el("url", "1..1", "uri", S(f"{I}.study.viewable.url")),
        ]),
        el("series", "1..*", "BackboneElement", S(f"{I}.study.series"), summary=True, children=[
            el("uid", "1..1", "oid", S(f"{I}.study.series.uid", "'Series instance UID'"), summary=True),
            dicom(f"{I}.study.series"),
            el("instance", "1..*", "BackboneElement", S(f"{I}.study.series.instance"), summary=True, children=[
                el("sopClass", "1..1", "oid", S(f"{I}.study.series.instance.sopClass", "'SOP class UID of instance'"),
                   summary=True),
                el("uid", "1..1", "oid", S(f"{I}.study.series.instance.uid", "'Selected instance UID'"), summary=True),
                dicom(f"{I}.study.series.instance"),
                el("frameNumbers", "0..*", "unsignedInt", S(f"{I}.study.series.instance.frameNumbers")),
            ]),
        ]),
    ]),
]

TYPES = {
    "ImagingExcerpt": resource_type(
        "ImagingExcerpt", INHERITS,
        root_req=f"{TAG} §Structure: ImagingExcerpt (DomainResource, 'Key Object Selection')",
        inherited_req=(f"{TAG} §JSON Template: '// from Resource: id, meta, implicitRules, and language' / "
                       "'// from DomainResource: text, contained, extension, and modifierExtension'"),
        elements=ELEMENTS,
    ),
}

VALUESETS = {
    KOS_TITLE: not_enumerated(
        "KOStitle", FHIR_VERSION, "not enumerated in seed 000",
        f"{TAG} {B_TITLE}; the seed names the value set but lists none of its codes; URL not printed in the seed"),
    DWEB_TYPE: enumerated(
        "dWebType", FHIR_VERSION, {DWEB_TYPE_SYSTEM: ["WADO-RS", "WADO-URI", "IID", "WADO-WS"]},
        f"{TAG} {B_DWEB}; codes from §Structure: ImagingExcerpt.study.dicom.type 'WADO-RS | WADO-URI | IID | "
        "WADO-WS'; value set and code system URLs not printed in the seed (only the code matters for this "
        "code-typed element)"),
    MIME_TYPE: enumerated(
        "MimeType", FHIR_VERSION, {},
        f"{TAG} {B_MIME}; all of BCP 13, checked by grammar; URL not printed in the seed",
        external=["urn:ietf:bcp:13"]),
}


def _sp(code, type_, expression, row, target=()):
    return search_param("ImagingExcerpt", code, type_, expression, f"{TAG} §Search parameters row '{row}'", target)


SEARCH_PARAMETERS = [
    _sp("author", "reference", "ImagingExcerpt.author",
        "author | reference | Author of key DICOM object selection | ImagingExcerpt.author (Device, Patient, "
        "Organization, Practitioner, RelatedPerson)",
        ["Device", "Patient", "Organization", "Practitioner", "RelatedPerson"]),
    _sp("authoring-time", "date", "ImagingExcerpt.authoringTime",
        "authoring-time | date | Time of key DICOM object selection authoring | ImagingExcerpt.authoringTime"),
    _sp("identifier", "uri", "ImagingExcerpt.uid",
        "identifier | uri | UID of key DICOM object selection | ImagingExcerpt.uid"),
    _sp("patient", "reference", "ImagingExcerpt.patient",
        "patient | reference | Subject of key DICOM object selection | ImagingExcerpt.patient (Patient)", ["Patient"]),
    _sp("selected-study", "uri", "ImagingExcerpt.study.uid",
        "selected-study | uri | Study selected in key DICOM object selection | ImagingExcerpt.study.uid"),
    _sp("title", "token", "ImagingExcerpt.title",
        "title | token | Title of key DICOM object selection | ImagingExcerpt.title"),
]

MANIFEST = {
    "version": VERSION,
    "fhirVersion": FHIR_VERSION,
    "source": {
        "seeds": [SEED],
        "note": (
            "Hand-authored from seed 000 (FHIR v1.4.0 STU 3 Ballot 3, ImagingExcerpt page). No STU3-ballot (or "
            "STU3) package exists on the registry, so this folder defines only ImagingExcerpt and inherits r4: all "
            "datatypes (oid, Reference, CodeableConcept, ...) and all other resources are validated with the R4 "
            "4.0.1 definitions. The inherited Resource/DomainResource/BackboneElement elements and the dom-2..dom-6, "
            "ele-1, ext-1 constraints are copied from R4 4.0.1 (the 1.4.0 base is not available). The seed states no "
            "invariants. Not printed in the seed and therefore supplied: the value set URLs for KOStitle "
            "(ValueSet/kos-title), dWebType (ValueSet/dWebType, codes under system http://hl7.org/fhir/dWebType) and "
            "MimeType/BCP 13 (http://www.rfc-editor.org/bcp/bcp13.txt, checked by the BCP-13 grammar), and the "
            "search parameter URLs (SearchParameter/ImagingExcerpt-<code>). KOStitle codes are not enumerated in "
            "the seed, so the required binding on title cannot be checked."
        ),
    },
    "inherits": INHERITS,
    "types": {"ImagingExcerpt": "resource"},
}
