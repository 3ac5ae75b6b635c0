"""Imaging rules: the pieces (UID syntax, geometry, resolution) and each rule's passing fixture.

Failing fixtures live in fixtures/invalid/imaging/ and are asserted (rule, location, severity) by
tests/validation/test_rules.py; here every imaging rule is also shown to stay silent on a fixture that has
the thing it checks, and the resolution contexts (contained, Bundle, directory, --context,
identifier, server callables) are exercised one by one.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from harness import imaging
from harness.imaging.context import FetchResolver, Index, type_and_id
from harness.imaging.geometry import _coplanar
from harness.imaging.uids import uid_problem
from harness.catalog import render_markdown
from harness.validation import catalog
from harness.validation.sources import validate_paths
from harness.validation.validator import validate_value
from tests.shared import INVALID, ROOT, load_json, run_cli

EXPECTATIONS = load_json(INVALID / "expectations.json")


# Every imaging rule: a valid fixture (version, path) that contains what the rule checks. The rule
# must not fire there; its failing fixtures are in expectations.json.
PASSING = {
    "imaging.uid": ("r5", "fixtures/valid/r5/imagingstudy-ct-chest.json"),
    "imaging.study-identifier": ("r4", "fixtures/valid/r4/imagingstudy-ct-abdomen.json"),
    "imaging.uid-encoding": ("r5", "fixtures/valid/r5/imagingstudy-ct-chest.json"),
    "imaging.series-uid-required": ("r5", "fixtures/valid/r5/imagingselection-mr-prostate-roi.json"),
    "imaging.duplicate-uid": ("stu3-ballot", "fixtures/valid/stu3-ballot/imagingexcerpt-ct-chest.json"),
    "imaging.single-series": ("r5", "fixtures/valid/r5/bundle-transaction-ct-chest.json"),
    "imaging.study-mismatch": ("r5", "fixtures/valid/r5/bundle-transaction-ct-chest.json"),
    "imaging.series-number": ("r5", "fixtures/valid/r5/bundle-transaction-ct-chest.json"),
    "imaging.one-patient": ("r5", "fixtures/valid/r5/bundle-transaction-ct-chest.json"),
    "imaging.unresolved": ("r5", "fixtures/valid/r5/bundle-transaction-ct-chest.json"),
    "imaging.study-counts": ("r4", "fixtures/valid/r4/imagingstudy-ct-abdomen.json"),
    "imaging.study-modality": ("r5", "fixtures/valid/r5/imagingstudy-ct-chest.json"),
    "imaging.frame-number": ("r5-snapshot1", "fixtures/valid/r5-snapshot1/imagingselection-ct-liver-lesion.json"),
    "imaging.region-geometry": ("r5", "fixtures/valid/r5/imagingselection-mr-prostate-roi.json"),
    "imaging.region-frame-of-reference": ("r5", "fixtures/valid/r5/imagingselection-mr-prostate-roi.json"),
    "imaging.region-coplanar": ("r6-ballot2", "fixtures/valid/r6-ballot2/imagingselection-ct-lung-nodule.json"),
    "imaging.endpoint-address": ("r5", "fixtures/valid/r5/endpoint-pacs-dicomweb.json"),
    "imaging.endpoint-level": ("r4", "fixtures/valid/r4/imagingstudy-ct-abdomen.json"),
}


def test_every_imaging_rule_has_a_passing_and_a_failing_fixture():
    ids = {r.id for r in catalog.all_rules() if r.id.startswith("imaging.")}
    assert set(PASSING) == ids
    failing = {e["rule"] for k, v in EXPECTATIONS.items() if k.startswith("imaging/") for e in v["expect"]}
    assert ids <= failing


@pytest.mark.parametrize("rule", sorted(PASSING))
def test_passing_fixture_does_not_report_the_rule(rule: str):
    version, rel = PASSING[rule]
    results = list(validate_paths([str(ROOT / rel)], version))
    assert results and [i for r in results for i in r.issues if i.rule == rule] == []


def test_region_coplanarity_of_the_passing_polygon_is_really_checked():
    # the r6 fixture has no polygon; the passing polygon is a closed coplanar square, tilted
    sel = load_json("fixtures/valid/r6-ballot2/imagingselection-ct-lung-nodule.json")
    sel["imageRegion3D"] = [{"regionType": "polygon",
                             "coordinate": [0, 0, 0, 10, 0, 10, 10, 10, 10, 0, 10, 0, 0, 0, 0]}]
    assert [i for i in imaging.run(sel, "r6-ballot2") if i.rule.startswith("imaging.region")] == []
    sel["imageRegion3D"][0]["coordinate"][8] = 11
    assert [i.rule for i in imaging.run(sel, "r6-ballot2") if i.rule.startswith("imaging.region")] == [
        "imaging.region-coplanar"]


# --- pieces ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("uid,ok", [
    ("1.2.840.10008.5.1.4.1.1.2", True), ("0", True), ("2.25.0.1", True),
    ("1.2.840.010008", False), ("1..2", False), (".1.2", False), ("1.2.", False), ("1.2.a", False),
    ("1.2-3", False), ("2." + "1" * 62, True), ("2." + "1" * 63, False), ("1.٣", False), ("", False),
    # ISO/IEC 8824 arcs: the first is 0, 1 or 2; under 0 or 1 the second is at most 39
    ("11.2.840.10008.5.1.4.1.1.481.3", False), ("5.6.7.8.9", False), ("3", False), ("1.40.2", False),
    ("0.40", False), ("1.39.2", True), ("0.0", True), ("2.999.1", True), ("2", True),
])
def test_dicom_uid_syntax(uid: str, ok: bool):
    assert (uid_problem(uid) is None) == ok


def test_coplanarity():
    assert _coplanar([(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (0, 0, 0)])
    assert _coplanar([(0, 0, 0), (1, 1, 1), (2, 2, 2), (3, 3, 3)])  # collinear: trivially planar
    assert not _coplanar([(0, 0, 0), (1, 0, 0), (1, 1, 0.01), (0, 1, 0), (0, 0, 0)])


@pytest.mark.parametrize("ref,key", [
    ("ImagingStudy/abc", ("ImagingStudy", "abc")), ("ImagingStudy/abc/_history/2", ("ImagingStudy", "abc")),
    ("https://x.org/fhir/ImagingStudy/a.b-c", ("ImagingStudy", "a.b-c")), ("urn:uuid:123", None), ("#x", None),
])
def test_type_and_id(ref: str, key):
    assert type_and_id(ref) == key


# --- resolution contexts ---------------------------------------------------------------------------

STUDY = "fixtures/invalid/imaging/single-series-dir/imagingstudy.json"
SELECTION = "fixtures/invalid/imaging/single-series-dir/imagingselection.json"


def _rules(issues) -> list[tuple[str, str]]:
    return sorted((i.rule, i.location) for i in issues if i.rule.startswith("imaging."))


def test_contained_study_is_resolved():
    sel, study = load_json(SELECTION), load_json(STUDY)
    study.pop("text", None)
    study["id"] = "s"
    sel["contained"] = [study]
    sel["derivedFrom"] = [{"reference": "#s"}]
    result = validate_value(sel, "mem", "r5")
    assert ("imaging.single-series", "ImagingSelection.instance[1].uid") in _rules(result.issues)


def test_bundle_relative_reference_resolves_against_the_entry_server_base():
    sel, study = load_json(SELECTION), load_json(STUDY)
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "https://a.example/fhir/ImagingStudy/ct-chest-2024-02-07", "resource": study},
        {"fullUrl": "https://a.example/fhir/ImagingSelection/sel-ct-chest-key-images", "resource": sel}]}
    index = Index.of("bundle", [bundle])
    issues = imaging.run(sel, "r5", index, "https://a.example/fhir/ImagingSelection/sel-ct-chest-key-images")
    assert _rules(issues) == [("imaging.single-series", "ImagingSelection.instance[1].uid")]
    # an absolute reference to another server is not taken from the Bundle's Type/id
    sel["derivedFrom"] = [{"reference": "https://b.example/fhir/ImagingStudy/ct-chest-2024-02-07"}]
    issues = imaging.run(sel, "r5", Index.of("bundle", [{"resourceType": "Bundle", "entry": [{"resource": study}]}]))
    assert ("imaging.unresolved", "ImagingSelection.derivedFrom[0]") in _rules(issues)


def test_study_found_by_study_uid_when_derived_from_is_absent():
    sel, study = load_json(SELECTION), load_json(STUDY)
    del sel["derivedFrom"]
    issues = imaging.run(sel, "r5", Index.of("dir", [study]))
    assert _rules(issues) == [("imaging.single-series", "ImagingSelection.instance[1].uid")]
    assert _rules(imaging.run(sel, "r5")) == [("imaging.unresolved", "ImagingSelection.studyUid")]


def test_derived_from_by_identifier_resolves_through_the_uid_index():
    sel, study = load_json(SELECTION), load_json(STUDY)
    sel["derivedFrom"] = [{"type": "ImagingStudy", "identifier": {
        "system": "urn:dicom:uid", "value": "urn:oid:" + sel["studyUid"]}}]
    assert _rules(imaging.run(sel, "r5", Index.of("dir", [study]))) == [
        ("imaging.single-series", "ImagingSelection.instance[1].uid")]


def test_server_resolution_uses_the_supplied_callables_once_per_reference():
    sel, study = load_json(SELECTION), load_json(STUDY)
    calls: list[str] = []

    def fetch(ref: str):
        calls.append(ref)
        return study if ref == "ImagingStudy/ct-chest-2024-02-07" else None

    resolver = FetchResolver("the server", fetch, lambda uid: [])
    assert _rules(imaging.run(sel, "r5", resolver)) == [("imaging.single-series", "ImagingSelection.instance[1].uid")]
    imaging.run(sel, "r5", resolver)
    assert calls.count("ImagingStudy/ct-chest-2024-02-07") == 1


def test_rules_never_raise_on_hostile_shapes():
    sel = load_json(SELECTION)
    for key in list(sel):
        for bad in (None, 1, "x", [], {}, [None, 1, "x"], {"a": [1]}):
            mutated = copy.deepcopy(sel)
            mutated[key] = bad
            imaging.run(mutated, "r5", Index.of("x", [mutated]))
    imaging.run({"resourceType": "ImagingStudy", "series": [{"instance": "x", "uid": 5}, 3]}, "r4")


def test_directory_fails_validate_with_single_series_at_the_offending_instance():
    p = run_cli("validate", "fixtures/invalid/imaging/single-series-dir", "--format", "json", timeout=120)
    assert p.returncode == 1, p.stderr
    doc = json.loads(p.stdout)
    found = [(r["source"], i["rule"], i["location"]) for r in doc["results"] for i in r["issues"]]
    assert found == [(SELECTION, "imaging.single-series", "ImagingSelection.instance[1].uid")]


def test_context_option_supplies_the_study(tmp_path: Path):
    args = ["validate", SELECTION, "--format", "json"]
    alone = run_cli(*args, timeout=120)
    assert alone.returncode == 0
    (tmp_path / "study.json").write_text((ROOT / STUDY).read_text(encoding="utf-8"), encoding="utf-8")
    with_ctx = run_cli(*args, "--context", str(tmp_path), timeout=120)
    assert with_ctx.returncode == 1
    missing = run_cli(*args, "--context", str(tmp_path / "nope"), timeout=120)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_rules_document_is_generated_from_the_catalog():
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == render_markdown()


def test_ndjson_in_parallel_gives_the_same_results_in_order(tmp_path: Path, monkeypatch):
    from harness.validation import ndjson

    study = (ROOT / STUDY).read_text(encoding="utf-8").replace("\n", "")
    selection = (ROOT / SELECTION).read_text(encoding="utf-8").replace("\n", "")
    lines = []
    for n in range(120):
        lines.append(selection if n % 3 else study)
        if n % 17 == 0:
            lines.append('{"resourceType": "ImagingStudy", "status": ')  # a broken line keeps its number
    f = tmp_path / "export.ndjson"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(ndjson, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(ndjson, "CHUNK_LINES", 7)
    monkeypatch.setattr(ndjson, "WARM_LINES", 3)  # the rest of the first chunk goes to the workers
    serial = [r.as_dict() for r in validate_paths([str(f)], "r5", workers=1)]
    parallel = [r.as_dict() for r in validate_paths([str(f)], "r5", workers=2)]
    assert serial == parallel and len(serial) == len(lines)
    assert any(i["rule"] == "imaging.single-series" for r in parallel for i in r["issues"])  # study from the pre-pass
    assert [r["source"] for r in parallel] == [f"{f}#line[{n}]" for n in range(1, len(lines) + 1)]


def test_endpoint_found_elsewhere_is_flagged_only_for_a_uid_of_the_study_in_its_path():
    """An Endpoint in the same Bundle is validated on its own (a sub-service or a trailing slash is
    reported there); from the study only a segment equal to one of the study's UIDs is reported."""
    study = load_json("fixtures/valid/r4/imagingstudy-ct-abdomen.json")
    series_uid = study["series"][0]["uid"]
    endpoint = load_json("fixtures/datasets/r4/endpoint-wado.json")
    endpoint["id"] = "pacs-dicomweb"
    endpoint["address"] = "https://pacs.example.org/dicomweb/studies/"  # reported on the Endpoint only
    bundle = {"resourceType": "Bundle", "entry": [{"resource": study}, {"resource": endpoint}]}
    assert [i for i in imaging.run(study, "r4", Index.of("bundle", [bundle])) if i.rule == "imaging.endpoint-address"] == []
    endpoint["address"] = f"https://pacs.example.org/dicomweb/{series_uid}"
    found = [(i.location, i.message) for i in imaging.run(study, "r4", Index.of("bundle", [bundle]))
             if i.rule == "imaging.endpoint-address"]
    assert len(found) == 1 and found[0][0] == "ImagingStudy.endpoint[0]"
    assert series_uid in found[0][1] and "Endpoint/pacs-dicomweb" in found[0][1]
    endpoint["connectionType"]["code"] = "ihe-iid"  # the rule is WADO-RS's
    assert [i for i in imaging.run(study, "r4", Index.of("bundle", [bundle])) if i.rule == "imaging.endpoint-address"] == []


def test_series_uid_required_cites_the_r5_requirement_and_only_where_a_source_states_it():
    sel = load_json("fixtures/valid/r5/imagingselection-mr-prostate-roi.json")
    del sel["studyUid"]
    found = [i for i in imaging.run(sel, "r5") if i.rule == "imaging.series-uid-required"]
    assert [i.location for i in found] == ["ImagingSelection.studyUid"]
    assert "'Required unless frameOfReferenceUid and imageRegion are present and instance is not present.'" in (
        found[0].requirement)
    # the R6 ballot 2 summary (seed 004) and the R5 snapshot 1 page (seed 001) state no such requirement
    r6 = load_json("fixtures/valid/r6-ballot2/imagingselection-ct-lung-nodule.json")
    del r6["seriesUid"]
    assert [i for i in imaging.run(r6, "r6-ballot2") if i.rule == "imaging.series-uid-required"] == []


def test_a_bare_uid_in_the_uri_system_is_an_encoding_problem_not_a_malformed_uid():
    study = load_json("fixtures/invalid/imaging/uid-sopclass-not-urn-r4.json")
    found = [i for i in imaging.run(study, "r4") if i.rule.startswith("imaging.uid")]
    assert [(i.rule, i.location) for i in found] == [
        ("imaging.uid-encoding", "ImagingStudy.series[0].instance[0].sopClass")]
    assert "urn:oid:1.2.840.10008.5.1.4.1.1.2" in found[0].message and "RFC 3986" in found[0].requirement
