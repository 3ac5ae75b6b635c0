"""The whole suite against conformant servers that differ from the reference server's defaults (issues
#21 and #24): each option of the reference server (harness/server/faults.py OPTIONS) withdraws a claim or
leaves out an optional element, and the suite must not fail. What the server does not claim is skipped
with the reason, or run under Prefer: handling=strict; data already on the server that looks like ours
causes no failure.
"""

from __future__ import annotations

import io

import pytest

from harness.engine.loader import load_cases
from harness.engine.session import RunOptions, execute
from harness.reports.console import Console
from harness.server.embedded import running
from harness.server.faults import OPTIONS
from tests.engine.inprocess import in_process

from .test_run_embedded import KNOWN_SERVER_DEFECTS


def _run(version: str, options: tuple[str, ...], *, runs: int = 1, subscribers=()):
    """The hand-written cases and the search-oracle suite; with runs=2 the first run leaves its data
    behind (look-alike foreign data: the same values under another run's tag) and the second is returned."""
    cases = load_cases()
    with in_process(version, options) as base:
        for _ in range(runs - 1):
            execute(cases, RunOptions(server=base, oracle=True, cleanup=False))
        result, code = execute(cases, RunOptions(server=base, oracle=True), subscribers)
    assert result.status == "completed", result.message
    return result, code


def _bad(result) -> dict[str, str]:
    return {r.case.id: r.message for r in result.cases
            if r.status in ("failed", "error") and r.case.id not in KNOWN_SERVER_DEFECTS}


def _skipped(result) -> dict[str, str]:
    return {r.case.id: r.message for r in result.cases if r.status == "skipped"}


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_the_suite_passes_against_each_option(option):
    result, code = _run("r5", (option,))
    assert _bad(result) == {}
    assert code == 0


def test_search_mode_omitted_is_a_match():
    """#21.2: total and sort-started failed on correct answers when search.mode was left out."""
    result, _ = _run("r5", ("omit-search-mode",))
    status = {r.case.id: r.status for r in result.cases}
    for case in ("search.imagingstudy.total", "search.imagingstudy.sort-started", "search.imagingstudy.paging",
                 "search.imagingstudy.include-subject", "search-oracle.ImagingStudy.revinclude.derived-from",
                 "search-oracle.ImagingStudy.sort", "search-oracle.ImagingStudy.count"):
        assert status[case] == "passed", case


def test_unclaimed_includes_are_skipped_with_the_claim_named():
    result, code = _run("r5", ("no-includes",))
    skipped = _skipped(result)
    for case, spec in (("search.imagingstudy.include-subject", "_include=ImagingStudy:subject"),
                       ("search.imagingstudy.revinclude-selection", "_revinclude=ImagingSelection:derived-from"),
                       ("single-series.search-with-include", "_include=ImagingSelection:derived-from"),
                       ("search-oracle.ImagingStudy.include.subject", "_include=ImagingStudy:subject"),
                       ("search-oracle.ImagingStudy.revinclude.derived-from", "searchRevInclude")):
        assert spec in skipped[case], (case, skipped.get(case))
    assert _bad(result) == {} and code == 0


def test_unclaimed_chains_run_under_strict_handling_and_a_rejection_passes():
    result, code = _run("r5", ("no-chaining",))
    chained = {r.case.id: r for r in result.cases if "chain" in r.case.id}
    assert len(chained) >= 5
    for r in chained.values():
        assert r.status == "passed", (r.case.id, r.message)
        assert "rejected what it does not claim" in r.message and "handling=strict" in r.message
        sent = [e for s in r.steps for e in s.exchanges]
        assert any({k.lower(): v for k, v in e.request_headers.items()}.get("prefer") == "handling=strict"
                   for e in sent), r.case.id
    assert _bad(result) == {} and code == 0


def test_strict_cases_fail_when_the_server_silently_ignores_an_unclaimed_chain():
    """The server claims no chain and, despite Prefer: handling=strict, ignores the chained parameter
    (returning every study): exactly the strict chain cases fail (and strict-unknown, which that fault
    breaks anyway)."""
    result, code = _run("r5", ("no-chaining", "no-includes", "ignore-unknown-strict"))
    bad = _bad(result)
    assert set(bad) == {"search.imagingstudy.strict-unknown", "search.imagingstudy.chain-patient-identifier"} | {
        i for i in bad if i.startswith("search-oracle.") and i.endswith(".chain-identifier")}
    assert len(bad) >= 5
    assert "neither rejected it nor applied it" in bad["search.imagingstudy.chain-patient-identifier"]
    assert code == 1


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_lookalike_foreign_data_without_tag_causes_no_failure(version):
    """#21.4: a server that does not claim _tag, holding an earlier run's data (the same UIDs, dates,
    identifiers and references under another tag), and leaving out search.mode."""
    result, code = _run(version, ("no-tag-search", "omit-search-mode"), runs=2)
    assert _bad(result) == {}
    skipped = _skipped(result)
    assert all(any(w in why for w in ("_tag", "_text", "applies to r5")) for why in skipped.values()), skipped
    assert code == 0


def test_erratum_pass_is_named_in_the_console():
    """#21.10: a server that matches only the published R5 clinical-code expression (ImagingSelection.status)
    shows as 'passed (erratum …)' in the console, not as a plain pass."""
    from .test_search_messages import published_clinical_code

    out = io.StringIO()
    with running("r5") as backend, published_clinical_code(backend) as base:
        result, _ = execute([], RunOptions(server=base, oracle=True,
                                           oracle_filter=lambda c: ".ImagingSelection.code." in c.id),
                            [Console(out)])
    erratum = [r for r in result.cases if r.message.startswith("passed (erratum R5-clinical-code-ImagingSelection)")]
    assert erratum and all(r.status == "passed" for r in erratum)
    text = out.getvalue()
    assert all(f"PASSED  {r.case.id}: passed (erratum R5-clinical-code-ImagingSelection)" in text for r in erratum)
