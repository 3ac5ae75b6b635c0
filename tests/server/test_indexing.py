"""Index rows computed from SearchParameter expressions (no HTTP: the pure part of indexing)."""

from __future__ import annotations

from harness.server.indexing import catalog, collection_safe, expression_for, index_rows, split_union


def test_multi_base_expressions_are_split_per_type():
    expr = "AllergyIntolerance.code | (Observation.value.ofType(Quantity)) | Resource.id"
    assert split_union("a.where(b | c) | d") == ["a.where(b | c)", "d"]
    assert expression_for(expr, "Observation") == "Observation.value.ofType(Quantity) | Observation.id"
    assert expression_for(expr, "Patient") == "Patient.id"


def test_r4_as_is_read_as_of_type():
    assert collection_safe("Observation.component.value as CodeableConcept") == \
        "Observation.component.value.ofType(CodeableConcept)"
    assert collection_safe("(Observation.value as CodeableConcept).text") == \
        "(Observation.value.ofType(CodeableConcept)).text"
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "component": [
        {"code": {"text": "a"}, "valueCodeableConcept": {"coding": [{"system": "urn:s", "code": "A"}]}},
        {"code": {"text": "b"}, "valueCodeableConcept": {"coding": [{"system": "urn:s", "code": "B"}]}}]}
    tokens = {r for r in index_rows("r4", obs)["token"] if r[0] == "component-value-concept"}
    assert tokens == {("component-value-concept", "urn:s", "A"), ("component-value-concept", "urn:s", "B")}


def test_presence_is_the_element_not_its_searchable_value():
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "only text"}}
    rows = index_rows("r5", obs)
    assert ("code",) in rows["present"] and not [r for r in rows["token"] if r[0] == "code"]


def test_the_r5_imagingselection_code_erratum():
    assert catalog("r5").param("ImagingSelection", "code").expression == "ImagingSelection.code"
