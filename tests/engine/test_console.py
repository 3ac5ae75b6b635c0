"""The console summary: each suite's line says every status that is not zero beside the passed count."""

from __future__ import annotations

from harness.engine.events import CaseResult, RunResult
from harness.engine.loader import load_cases
from harness.reports.console import summary


def _run(statuses: dict[str, list[str]]) -> RunResult:
    run = RunResult("r1", "http://127.0.0.1:9", "5.0.0", None, "2026-01-01T00:00:00+00:00")
    cases = {c.suite: [] for c in load_cases()}
    for c in load_cases():
        cases[c.suite].append(c)
    for suite, wanted in statuses.items():
        run.cases += [CaseResult(c, s, "m") for c, s in zip(cases[suite], wanted)]
    return run


def test_a_suite_with_nothing_passed_shows_its_failed_and_skipped_counts_on_the_same_line():
    lines = summary(_run({"crud": ["failed"] * 5 + ["skipped"] * 3,
                          "capabilities": ["passed"] * 4 + ["error"]})).splitlines()
    crud = next(line for line in lines if line.startswith("crud"))
    assert crud.split() == ["crud", "0", "passed,", "5", "failed,", "3", "skipped"]
    cap = next(line for line in lines if line.startswith("capabilities"))
    assert cap.split() == ["capabilities", "4", "passed,", "1", "error"]
    total = next(line for line in lines if line.startswith("total"))
    assert total.split() == ["total", "4", "passed,", "5", "failed,", "1", "error,", "3", "skipped"]


def test_an_all_passing_suite_says_only_that():
    lines = summary(_run({"crud": ["passed"] * 8})).splitlines()
    assert "crud                8 passed" in lines and "total               8 passed" in lines
