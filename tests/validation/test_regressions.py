"""Verdicts that were once wrong, each pinned with the smallest input that showed it."""

from harness.reports.validation_outcome import render_results as to_outcome_bundle
from harness.pipeline.values import results_for_value
from harness.pipeline.validator import validate_value
import json

DIV = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div>'}


def rules(resource, version="r5"):
    return {(i.rule, i.location) for i in validate_value(resource, "t", version).issues
            if i.severity != "information"}


def test_ext1_accepts_a_primitive_value_carried_only_by_its_extension():
    pat = {"resourceType": "Patient", "id": "p", "text": DIV, "extension": [{
        "url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
        "_valueCode": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                                      "valueCode": "unknown"}]}}]}
    assert not any(r == "invariant.ext-1" for r, _ in rules(pat))


def test_dom3_is_not_satisfied_by_a_plain_string_that_looks_like_a_reference():
    study = {"resourceType": "ImagingStudy", "id": "s", "text": DIV, "status": "available",
             "subject": {"reference": "Patient/p"}, "description": "#pulmo",
             "contained": [{"resourceType": "Practitioner", "id": "pulmo"}]}
    assert ("invariant.dom-3", "ImagingStudy") in rules(study)
    study["referrer"] = {"reference": "#pulmo"}
    assert ("invariant.dom-3", "ImagingStudy") not in rules(study)


def test_codeablereference_targets_are_checked():
    study = {"resourceType": "ImagingStudy", "id": "s", "text": DIV, "status": "available",
             "subject": {"reference": "Patient/p"},
             "reason": [{"reference": {"reference": "Practitioner/x"}}]}
    assert ("structure.reference-target", "ImagingStudy.reason[0].reference") in rules(study)


def test_xhtml_div_allows_no_extension():
    pat = {"resourceType": "Patient", "id": "p", "text": dict(DIV, _div={"extension": [
        {"url": "http://example.org/x", "valueString": "y"}]})}
    assert ("structure.cardinality", "Patient.text.div.extension") in rules(pat)


def test_primitive_extension_with_only_an_id_reports_ele1_once():
    res = validate_value({"resourceType": "Patient", "id": "p", "text": DIV, "_gender": {"id": "g"}}, "t", "r5")
    assert [i.rule for i in res.issues].count("invariant.ele-1") == 1


def test_bundle_entries_are_read_in_the_bundles_version():
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:6d1b5a7e-0f7e-4a5e-9c1d-4d2f5b0e8a11",
         "resource": {"resourceType": "ImagingExcerpt", "id": "x"}}]}
    results = list(results_for_value(bundle, {}, "b.json", "r5"))
    assert results[1].fhir_version == "r5"
    assert ("structure.unknown-resource-type", "ImagingExcerpt") in {(i.rule, i.location) for i in results[1].issues}


def test_outcome_ids_are_unique_when_a_source_repeats():
    r = validate_value({"resourceType": "Basic", "id": "b"}, "same.json", "r5")
    ids = [e["resource"]["id"] for e in json.loads(to_outcome_bundle([r, r]))["entry"]]
    assert len(set(ids)) == 2


def test_per1_compares_instants_not_strings():
    def period(s, e):
        return {"resourceType": "Endpoint", "id": "e", "text": DIV, "status": "active",
                "address": "https://pacs.example.org/dicomweb", "period": {"start": s, "end": e},
                "connectionType": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type",
                                                "code": "dicom-wado-rs"}]}]}
    # 10:00+02:00 is 08:00Z, before 09:00Z: valid although the strings sort the other way
    assert ("invariant.per-1", "Endpoint.period") not in rules(period("2021-01-01T10:00:00+02:00", "2021-01-01T09:00:00Z"))
    assert ("invariant.per-1", "Endpoint.period") in rules(period("2021-01-02", "2021-01-01T09:00:00Z"))
    r4 = period("2021-01-01T10:00:00+02:00", "2021-01-01T09:00:00Z")
    r4["connectionType"] = r4["connectionType"][0]["coding"][0]
    r4["payloadType"] = [{"text": "DICOM"}]
    assert ("invariant.per-1", "Endpoint.period") not in rules(r4, "r4")


def test_an_unparseable_constraint_is_reported_and_prints_nothing(capsys):
    # R5 eld-11 quotes a string with double quotes ("":""), which FHIRPath's grammar does not allow;
    # it is read with the string single-quoted, as HL7's reference validator reads it (issue #21 item 8:
    # it was 'not evaluated' on every element definition with a binding)
    sd = {"resourceType": "StructureDefinition", "url": "http://example.org/sd", "name": "X", "status": "draft",
          "kind": "resource", "abstract": False, "type": "Basic",
          "differential": {"element": [{"path": "Basic.code", "binding": {"strength": "example"}, "type": [{"code": "CodeableConcept"}]}]}}
    issues = validate_value(sd, "t", "r5").issues
    assert capsys.readouterr().out == ""
    assert not any(i.rule == "invariant.not-evaluated" for i in issues)
    # an expression that does not parse at all is still reported, and prints nothing
    from harness.validation.compiler import Constraint
    from harness.validation.invariants import InvariantPass
    from harness.validation.structure import Pending
    broken = (Constraint("x-1", "error", "broken", "code.exists( and", "Basic", "Basic"),)
    res = {"resourceType": "Basic", "id": "b"}
    found = InvariantPass("r5", "R5", lambda url, v: None).run([Pending(broken, res, "Basic", "Basic", res, res, None)], None)
    assert capsys.readouterr().out == ""
    assert [(i.rule, "does not parse" in i.message) for i in found] == [("invariant.not-evaluated", True)]


def test_extensions_defined_in_the_core_package_are_known():
    pat = {"resourceType": "Patient", "id": "p", "text": DIV, "extension": [
        {"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace", "valueAddress": {"city": "Bergen"}},
        {"url": "http://example.org/fhir/StructureDefinition/not-defined", "valueString": "x"}]}
    found = {(i.rule, i.location) for i in validate_value(pat, "t", "r4").issues}
    assert ("extension.unknown", "Patient.extension[0]") not in found
    assert ("extension.unknown", "Patient.extension[1]") in found


def test_no_break_space_is_content_not_whitespace():
    # XML Schema regexes (the definitions') treat only space, tab, CR and LF as \s
    pat = {"resourceType": "Patient", "id": "p", "text": DIV, "name": [{"text": "Sean Stover, BS,\u00a0DVM"}],
           "gender": "female"}
    assert not any(i.rule == "structure.primitive-format" for i in validate_value(pat, "t", "r4").issues)
    pat["gender"] = "fe\u00a0male"  # still not a code of the required value set
    assert any(i.rule == "binding.required" for i in validate_value(pat, "t", "r4").issues)


def test_resolve_returns_typed_resources_for_oftype():
    def team(member_type):
        return {"resourceType": "CareTeam", "id": "t", "text": DIV,
                "contained": [{"resourceType": member_type, "id": "m1"}],
                "participant": [{"member": {"reference": "#m1"}, "onBehalfOf": {"reference": "Organization/o"}}]}
    assert ("invariant.ctm-1", "CareTeam.participant[0]") not in rules(team("Practitioner"))
    assert ("invariant.ctm-1", "CareTeam.participant[0]") in rules(team("Patient"))


def test_contained_that_is_not_an_array_does_not_crash_the_invariants():
    assert rules({"resourceType": "ImagingSelection", "status": "available", "contained": True})


def test_a_coding_that_is_not_an_array_is_reported_not_a_crash():
    from harness.pipeline.validator import validate_value
    study = {"resourceType": "ImagingStudy", "status": "available", "subject": {"reference": "Patient/p"},
             "series": [{"uid": "1.2.3", "modality": {"system": "http://dicom.nema.org/resources/ontology/DCM",
                                                      "code": "CT"},
                         "instance": [{"uid": "1.2.3.4", "sopClass": {"coding": 5}}]}]}
    for version in ("r4", "r5"):  # sopClass is a Coding: 'coding' is not its element (it raised before)
        result = validate_value(study, "x", version)
        assert ("structure.unknown-element", "ImagingStudy.series[0].instance[0].sopClass.coding") in [
            (i.rule, i.location) for i in result.issues]
