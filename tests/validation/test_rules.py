"""Every validation rule against the fixtures in fixtures/.

fixtures/valid/<version>/*.json   realistic imaging resources that must validate with no error and no
                                  warning under that version (information is allowed).
fixtures/invalid/**               one small input per rule; fixtures/invalid/expectations.json lists,
                                  per input, the FHIR version to validate it with (null: let the
                                  validator choose) and every (rule, location, severity) it must report.

The Python API is used (not the CLI) so the whole file runs in about a second.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from harness import definitions
from harness.validation import catalog
from harness.validation.issues import ERROR, WARNING
from harness.validation.sources import JSON_SUFFIXES, validate_paths
from tests.shared import INVALID, ROOT, VALID

EXPECTATIONS: dict[str, dict] = json.loads((INVALID / "expectations.json").read_text(encoding="utf-8"))

VALID_FILES = sorted(p for p in VALID.rglob("*") if p.is_file() and p.suffix in JSON_SUFFIXES)

# Catalog rules that no file can trigger, with the reason. Every other rule id in the catalog must be
# asserted by at least one expectation. (Empty today: every rule fires from some fixture.)
#  - "invariant.*" is the family entry for constraint keys (reported as invariant.<key>); it is
#    excluded below rather than listed here, because it is not a rule id the validator ever reports.
#  - structure.cardinality is covered by a missing required element only: no element of any base
#    definition has a finite max above 1 (and the only max 0 is xhtml.extension, which the walk
#    never visits), so "too many" can only be an array for a max-1 element, which is reported as
#    structure.json-kind (see structure/cardinality-too-many.json).
UNTRIGGERABLE: dict[str, str] = {}


@lru_cache(maxsize=None)
def _results(path: str, version: str | None):
    return tuple(validate_paths([path], version))


def _issues(path: Path, version: str | None):
    return [i for r in _results(str(path), version) for i in r.issues]


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


# --- (a) valid fixtures --------------------------------------------------------------------------

def test_every_version_has_a_valid_fixture():
    versions = {p.relative_to(VALID).parts[0] for p in VALID_FILES}
    assert versions == set(definitions.VERSIONS)


@pytest.mark.parametrize("path", VALID_FILES, ids=_rel)
def test_valid_fixture_has_no_error_and_no_warning(path: Path):
    version = path.relative_to(VALID).parts[0]
    results = _results(str(path), version)
    assert results, "no result"
    bad = [(r.source, i.severity, i.rule, i.location, i.message)
           for r in results for i in r.issues if i.severity in (ERROR, WARNING)]
    assert bad == []
    for r in results:
        assert r.fhir_version == version
        assert r.valid


@pytest.mark.parametrize("path", VALID_FILES, ids=_rel)
def test_valid_fixture_dicom_uids_are_at_most_64_characters(path: Path):
    text = path.read_text(encoding="utf-8")
    uids = re.findall(r"(?<![\w.])[0-2](?:\.(?:0|[1-9][0-9]*)){3,}(?![\w.])", text)
    if path.name.startswith(("imaging", "bundle")):
        assert uids, "an imaging fixture without any DICOM UID is not realistic"
    assert [u for u in uids if len(u) > 64] == []


def test_valid_bundle_entries_are_results_of_their_own():
    path = VALID / "r5" / "bundle-transaction-ct-chest.json"
    results = _results(str(path), "r5")
    assert [r.source for r in results] == [str(path)] + [f"{path}#entry[{i}]" for i in range(3)]
    assert [r.resource_type for r in results] == ["Bundle", "Patient", "ImagingStudy", "ImagingSelection"]


# --- (b) invalid fixtures ------------------------------------------------------------------------

def test_expectations_list_every_invalid_fixture():
    listed = set(EXPECTATIONS)
    on_disk = {p.relative_to(INVALID).as_posix() for p in INVALID.rglob("*")
               if p.is_file() and p.suffix in JSON_SUFFIXES and p.name != "expectations.json"}
    covered = {f for f in on_disk if any(f == k or f.startswith(k + "/") for k in listed)}
    assert on_disk - covered == set(), "fixtures without expectations"
    missing = {k for k in listed if not (INVALID / k).exists()}
    # every listed path exists (a path that does not is a usage error of `validate`, exit 2:
    # tests/validation/test_validate_cli.py::test_a_path_that_does_not_exist_is_a_usage_error)
    assert missing == set()


def test_expectations_are_well_formed():
    rules = {r.id for r in catalog.all_rules()}
    for name, entry in EXPECTATIONS.items():
        assert set(entry) == {"fhirVersion", "expect"}, name
        assert entry["fhirVersion"] is None or entry["fhirVersion"] in definitions.VERSIONS, name
        assert entry["expect"], name
        for e in entry["expect"]:
            assert set(e) == {"rule", "location", "severity"}, name
            assert e["severity"] in ("error", "warning", "information"), name
            assert e["rule"] in rules or e["rule"].startswith("invariant."), name


def test_every_version_is_covered_by_an_invalid_fixture():
    versions = {e["fhirVersion"] for e in EXPECTATIONS.values()} - {None}
    assert versions == set(definitions.VERSIONS)


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_invalid_fixture_reports_exactly_the_expected_errors(name: str):
    entry = EXPECTATIONS[name]
    issues = _issues(INVALID / name, entry["fhirVersion"])
    reported = {(i.rule, i.location, i.severity) for i in issues}
    expected = {(e["rule"], e["location"], e["severity"]) for e in entry["expect"]}
    assert expected - reported == set(), f"expected but not reported; reported: {sorted(reported)}"
    extra_errors = {t for t in reported if t[2] == ERROR} - expected
    assert extra_errors == set(), "errors the fixture does not expect (keep fixtures minimal)"


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_invalid_fixture_validity_follows_from_its_expectations(name: str):
    entry = EXPECTATIONS[name]
    results = _results(str(INVALID / name), entry["fhirVersion"])
    expects_error = any(e["severity"] == ERROR for e in entry["expect"])
    assert any(not r.valid for r in results) == expects_error
    if entry["fhirVersion"] is not None:
        assert {r.fhir_version for r in results} == {entry["fhirVersion"]}


def test_imaging_excerpt_without_a_version_is_validated_as_stu3_ballot():
    results = _results(str(INVALID / "structure" / "inherited-definition-auto.json"), None)
    assert [r.fhir_version for r in results] == ["stu3-ballot"]


# --- (c) catalog coverage ------------------------------------------------------------------------

def test_every_catalog_rule_is_covered_by_an_expectation():
    covered = {e["rule"] for entry in EXPECTATIONS.values() for e in entry["expect"]}
    rules = {r.id for r in catalog.all_rules()} - {"invariant.*"}
    assert set(UNTRIGGERABLE) <= rules, "allow-list names a rule the catalog does not have"
    assert set(UNTRIGGERABLE) & covered == set(), "allow-listed rule is covered: drop it from the list"
    assert rules - covered - set(UNTRIGGERABLE) == set()


def test_constraint_families_are_covered():
    covered = {e["rule"] for entry in EXPECTATIONS.values() for e in entry["expect"]}
    universal = {f"invariant.dom-{n}" for n in range(2, 7)} | {
        "invariant.ext-1", "invariant.ele-1", "invariant.txt-1", "invariant.txt-2"}
    assert universal <= covered
    # at least one datatype/resource constraint that goes through fhirpathpy
    assert covered & {"invariant.per-1", "invariant.qty-3", "invariant.ref-1"}
    assert "invariant.not-evaluated" in covered
