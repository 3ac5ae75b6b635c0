"""FHIR STU3 (3.0.2): ImagingManifest, reconstructed from seed 003 with seed 000 as its predecessor.

Seed 003 is a work-group page, not a specification page. It has two parts used here:

* the change list: a bullet per ImagingManifest element saying what to do with it on the way to
  ImagingSelection ("patient - change to subject", "sopClass - change to 0..1", "frameNumber - ok.",
  ...). The element *names* and the pre-change state of ImagingManifest are read from it;
* the "ImagingReference" draft table: ImagingManifest with the first renames applied (subject,
  issued, performer + PractitionerRole, ...), whose rows give types, cardinalities and Σ flags.

Rule used for every element: the draft-table row gives type / cardinality / Σ, *undoing* the change
the change list says was made (so sopClass is 1..1 because the list says "change to 0..1"; author has
no PractitionerRole because the list says "add PractitionerRole"). Where seed 003 gives no type or
cardinality (title, instance.uid's type, the study / series backbones that the draft removed, the
series endpoint the draft removed) ImagingExcerpt 1.4.0 (seed 000), ImagingManifest's direct
predecessor, supplies it. Elements proposed as *new* in seed 003 (observationUid, "Add Observation
UID?") are not ImagingManifest elements and are left out; ImagingExcerpt's dicom and viewable
backbones, which the change list does not name (ImagingManifest has endpoint instead), are left out.
"""

from __future__ import annotations

from seeded.base import el, not_enumerated, resource_type

SEED_003 = "shared/seeds/003_7413cdcb616ff950.txt"
SEED_000 = "shared/seeds/000_961ab96e591430f7.txt"
VERSION = "stu3"
FHIR_VERSION = "3.0.2"
INHERITS = "r4"
TAG = "seed 003 (ImagingManifest STU3 -> ImagingSelection design notes)"
TAG0 = "seed 000 (ImagingExcerpt 1.4.0, ImagingManifest's predecessor)"

KOS_TITLE = "http://hl7.org/fhir/ValueSet/kos-title"


def R(path: str) -> str:
    """Head of every element citation."""
    return f"{TAG} §change list + §ImagingReference draft table: {path} —"


def C(item: str) -> str:
    """A change-list bullet."""
    return f"change list '{item}'"


def D(row: str) -> str:
    """An ImagingReference draft-table row."""
    return f"draft table row '{row}'"


def P(path: str, what: str) -> str:
    """Citation of seed 000 for what seed 003 leaves unsaid."""
    return f"{TAG0} §Structure: {path} ({what})"


M = "ImagingManifest"
ELEMENTS = [
    el("identifier", "0..1", "Identifier",
       f"{R(M + '.identifier')} {C('identifier - confirm cardinality (probably 0..*)')} (i.e. not 0..* yet); "
       f"{D('Σ0..1 Identifier SOP Instance UID')}", summary=True),
    el("patient", "1..1", "Reference",
       f"{R(M + '.patient')} {C('patient - change to subject, and align with ImagingStudy')}; "
       f"{D('subject Σ1..1 Reference(Patient) Patient of the selected objects')}; = {P('ImagingExcerpt.patient', 'Σ 1..1 Reference(Patient)')}",
       targets=["Patient"], summary=True),
    el("authoringTime", "0..1", "dateTime",
       f"{R(M + '.authoringTime')} {C('authoringTime - change to issued (as per Observation)')}; "
       f"{D('issued Σ0..1 dateTime Time when the selection of instances was made')}", summary=True),
    el("author", "0..1", "Reference",
       f"{R(M + '.author')} {C('author - change to performer ... add PractitionerRole')} (so without PractitionerRole); "
       f"{D('performer Σ0..1 Reference(Practitioner | Practitioner Role | Device | Organization | Patient | RelatedPerson)')}; "
       f"targets = {P('ImagingExcerpt.author', 'Reference(Practitioner | Device | Organization | Patient | RelatedPerson)')}",
       targets=["Practitioner", "Device", "Organization", "Patient", "RelatedPerson"], summary=True),
    el("title", "1..1", "CodeableConcept",
       f"{R(M + '.title')} {C('title - change valueset name from KOStitle ... Still needed?')}; no draft-table row; "
       f"type, cardinality, Σ and binding from {P('ImagingExcerpt.title', 'Σ 1..1 CodeableConcept, KOStitle (Required)')}",
       summary=True, binding=("required", KOS_TITLE)),
    el("description", "0..1", "string",
       f"{R(M + '.description')} not in the change list; {D('Σ0..1 string / CodeableConcept Description text')} "
       f"(string; CodeableConcept is the proposed merge with title); = {P('ImagingExcerpt.description', 'Σ 0..1 string')}",
       summary=True),
    el("study", "1..*", "BackboneElement",
       f"{R(M + '.study')} {C('study - Remove, and promote all subitems to top level')}; no draft-table row; "
       f"cardinality and Σ from {P('ImagingExcerpt.study', 'Σ 1..* BackboneElement')}", summary=True, children=[
           el("uid", "1..1", "oid",
              f"{R(M + '.study.uid')} {C('uid - Rename to studyUid and change type to id')} (so oid now); "
              f"{D('Σ1..1 oid Study instance UID')}", summary=True),
           el("imagingStudy", "0..1", "Reference",
              f"{R(M + '.study.imagingStudy')} {C('imagingStudy - rename to studyReference (?) or basedOn (?) derivedFrom?')}; "
              f"{D('Σ0..1 Reference(ImagingStudy) Reference to ImagingStudy')}", targets=["ImagingStudy"], summary=True),
           el("endpoint", "0..*", "Reference",
              f"{R(M + '.study.endpoint')} {C('endpoint (study-level) - all ok')}; "
              f"{D('Σ0..* Reference(Endpoint) Study access service endpoint')}", targets=["Endpoint"], summary=True),
           el("series", "1..*", "BackboneElement",
              f"{R(M + '.study.series')} {C('series - Remove and promote all subitems to top level')}; no draft-table row; "
              f"cardinality and Σ from {P('ImagingExcerpt.study.series', 'Σ 1..* BackboneElement')}", summary=True,
              children=[
                  el("uid", "1..1", "oid",
                     f"{R(M + '.study.series.uid')} {C('uid - rename to seriesUid. confirm type as id?')} (so oid now); "
                     f"{D('Σ1..1 oid Series instance UID')}", summary=True),
                  el("endpoint", "0..*", "Reference",
                     f"{R(M + '.study.series.endpoint')} {C('endpoint (series) - remove')}; no draft-table row (removed); "
                     f"type, cardinality and Σ as the study-level endpoint row "
                     f"{D('Σ0..* Reference(Endpoint) Study access service endpoint')} (inferred)",
                     targets=["Endpoint"], summary=True),
                  el("instance", "1..*", "BackboneElement",
                     f"{R(M + '.study.series.instance')} {C('instance - ok.')}; cardinality from "
                     f"{P('ImagingExcerpt.study.series.instance', 'Σ 1..*')}, not from "
                     f"{D('Σ0..* BackboneElement The selected instances. If no instances are included the entire series is selected.')} "
                     "(that row carries the new ImagingReference semantics)", summary=True, children=[
                         el("sopClass", "1..1", "oid",
                            f"{R(M + '.study.series.instance.sopClass')} {C('sopClass - change to 0..1')} (so 1..1 now); "
                            f"{D('Σ0..1 oid SOP class UID of instances')}; = "
                            f"{P('ImagingExcerpt.study.series.instance.sopClass', 'Σ 1..1 oid')}", summary=True),
                         el("uid", "1..1", "oid",
                            f"{R(M + '.study.series.instance.uid')} {C('uid - confirm type as id?')} (so oid now); "
                            f"{D('.. uid Σ1..1 Selected instance UIDs')} (type missing in the row); type from "
                            f"{P('ImagingExcerpt.study.series.instance.uid', 'Σ 1..1 oid')}", summary=True),
                         el("frameNumber", "0..*", "integer",
                            f"{R(M + '.study.series.instance.frameNumber')} {C('frameNumber - ok.')}; "
                            f"{D('.. frameNumber Σ0..* integer Selected frames')}; predecessor "
                            f"{P('ImagingExcerpt.study.series.instance.frameNumbers', '0..* unsignedInt, not Σ')}",
                            summary=True),
                     ]),
              ]),
       ]),
]

TYPES = {
    "ImagingManifest": resource_type(
        "ImagingManifest", INHERITS,
        root_req=(f"{TAG} §change list + §ImagingReference draft table: ImagingManifest — change list 'rename' "
                  f"(the list walks ImagingManifest element by element); "
                  f"{D('.. ImagingReference DomainResource Key Object Selection')}"),
        inherited_req=(f"{TAG} §ImagingReference draft table: "
                       f"{D('Elements defined in Ancestors: id, meta, implicitRules, language, text, contained, extension, modifierExtension')}"),
        elements=ELEMENTS,
    ),
}

VALUESETS = {
    KOS_TITLE: not_enumerated(
        "KOStitle", FHIR_VERSION, "not enumerated in seed 003 (nor in seed 000)",
        f"{TAG} §change list: {C('title - change valueset name from KOStitle')}; binding strength from {TAG0} §Bindings table row "
        "'ImagingExcerpt.title | ... | Required | KOStitle'; URL not printed in either seed"),
}

# seed 003 has no search parameter table
SEARCH_PARAMETERS: list = []

MANIFEST = {
    "version": VERSION,
    "fhirVersion": FHIR_VERSION,
    "source": {
        "seeds": [SEED_003, SEED_000],
        "note": (
            "Hand-authored: ImagingManifest reconstructed from seed 003 (work-group notes turning STU3 ImagingManifest "
            "into ImagingSelection) with seed 000 (ImagingExcerpt 1.4.0, its direct predecessor) filling what seed 003 "
            "leaves unsaid. No STU3 package exists on the registry, so this folder defines only ImagingManifest and "
            "inherits r4: all datatypes and all other resources are validated with the R4 4.0.1 definitions, and the "
            "inherited Resource/DomainResource/BackboneElement elements and dom-2..dom-6, ele-1, ext-1 are copied from "
            "R4 4.0.1. Element names come from seed 003's change list; types/cardinalities/Σ from its ImagingReference "
            "draft table with each listed change undone (sopClass 1..1, author without PractitionerRole, UIDs oid). "
            "Inferred rather than read: title (named in the change list only; CodeableConcept 1..1 Σ, KOStitle "
            "required, from seed 000); description (draft row 'string / CodeableConcept', string as in seed 000); "
            "study and series 1..* and instance 1..* (seed 000; the draft table removes study/series and makes "
            "instance 0..*); instance.uid type oid (draft row has no type; seed 000); series.endpoint (change list "
            "'endpoint (series) - remove', no draft row: shaped like the study-level endpoint); frameNumber integer "
            "0..* Σ (draft row; seed 000's frameNumbers was unsignedInt). observationUid (proposed addition) and "
            "ImagingExcerpt's dicom/viewable (not in the change list) are not included. The KOStitle URL "
            "(ValueSet/kos-title) is not printed in the seeds and its codes are not enumerated, so the binding cannot "
            "be checked. Seed 003 has no search parameter table: none are defined."
        ),
    },
    "inherits": INHERITS,
    "types": {"ImagingManifest": "resource"},
}
