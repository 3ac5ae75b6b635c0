"""Which of fhirpathpy's type models evaluates FHIRPath for each FHIR version: data, read by the
validator's invariants (harness/validation/fhirpath.py) and the search oracle's expressions
(harness/search/values.py)."""

#: the fhirpathpy type model per version family. stu3 (3.0.2) has fhirpathpy's own STU3 model
#: (its choice types and type hierarchy: ImagingManifest, ProcedureRequest, ...); on the whole STU3
#: examples package it gives the same results as the r4 model. The 1.4.0 ballot has no model and
#: is validated over R4 types, so it takes r4.
MODEL_FOR = {"stu3-ballot": "r4", "stu3": "stu3", "r4": "r4", "r4b": "r4",
             "r5-snapshot1": "r5", "r5": "r5", "r6-ballot2": "r5"}
