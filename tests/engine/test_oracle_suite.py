"""The search-oracle suite against the embedded server: it passes in full on r4 and r5, and each
fault that breaks search fails exactly the generated cases of the form that fault breaks."""

from __future__ import annotations

import re

import pytest

from harness.engine.oracle_suite import SUITE, OracleCheck
from harness.engine.session import RunOptions, execute
from harness.search import Oracle
from tests.engine.inprocess import in_process


def _run(version: str = "r5", faults=()) -> list:
    with in_process(version, faults) as base:
        result, _ = execute([], RunOptions(server=base, oracle=True))
    assert result.status != "error", result.message
    return [r for r in result.cases if r.case.suite == SUITE]


@pytest.mark.parametrize("version,minimum", [("r5", 180), ("r4", 100)])
def test_oracle_suite_passes_against_the_reference_server(version, minimum):
    cases = _run(version)
    assert len(cases) >= minimum
    bad = [(r.case.id, r.message) for r in cases if r.status != "passed"]
    assert bad == []
    ids = {r.case.id for r in cases}
    for form in ("paging", "count", "sort", "sort-desc", "include.subject"):
        assert f"{SUITE}.ImagingStudy.{form}" in ids
    assert any(".chain-identifier" in i for i in ids) and any(".and-range" in i for i in ids)
    assert len([i for i in ids if i.endswith(".post")]) >= 3  # POST _search equals GET
    if version == "r5":
        assert f"{SUITE}.ImagingStudy.revinclude.derived-from" in ids
        assert f"{SUITE}.ImagingSelection.code.system|code" in ids  # the erratum parameter


# fault -> what every failing generated case id must look like (and at least one must fail)
BREAKS = {
    "ignore-modifier-not": r"\.not$",
    "token-ignores-system": r"\.(other-system\|code|\|code-with-system)$",
    "reference-type-ignored": r"\.(other-type/id|type-modifier)$",
    "date-prefix-off-by-one": r"\.(started|issued|_lastUpdated)\.",
    "date-precision": r"\.(started|issued|_lastUpdated)\.",
    "ignore-include": r"\.(include|revinclude)\.",
    "wrong-total": r"\.count$",
    "sort-reversed": r"\.sort(-desc)?$",
    "broken-paging": r"\.paging$",
    "drop-last-page": r"\.paging$",
    "duplicate-across-pages": r"\.paging$",
    # selections spanning two series fail every generated search that returns a selection
    "drop-single-series": r"^search-oracle\.(ImagingSelection\.|ImagingStudy\.revinclude\.)",
}


@pytest.mark.parametrize("fault", sorted(BREAKS))
def test_search_faults_fail_the_matching_generated_cases(fault):
    failed = [r.case.id for r in _run("r5", (fault,)) if r.status != "passed"]
    assert failed, f"{fault} broke no generated case"
    assert [i for i in failed if not re.search(BREAKS[fault], i)] == []


def test_a_failure_names_missing_and_unexpected_ids_with_their_values():
    studies = [{"resourceType": "ImagingStudy", "id": i, "status": "available", "subject": {"reference": "Patient/p"},
                "series": [{"uid": "1.2", "modality": {"code": m}}]} for i, m in (("a", "CT"), ("b", "MR"))]
    oracle = Oracle("r5", studies)
    check = OracleCheck("ImagingStudy", oracle.expected("ImagingStudy", [("modality", "CT")]), oracle,
                        [("modality", "CT")])
    ok, msg = check.judge({"resourceType": "Bundle", "entry": [{"resource": studies[1]}]})
    assert not ok
    assert "expected but missing: ImagingStudy/a" in msg and "returned but not expected: ImagingStudy/b" in msg
    assert "'code': 'MR'" in msg
    ok, msg = check.judge({"resourceType": "Bundle", "entry": [{"resource": studies[0]}, {"resource": studies[0]}]})
    assert not ok and "more than once" in msg
    foreign = dict(studies[0], id="someone-elses")  # pre-existing data that matches is no failure
    assert check.judge({"resourceType": "Bundle", "entry": [{"resource": studies[0]}, {"resource": foreign}]})[0]
