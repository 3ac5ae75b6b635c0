"""A throwaway report format for test_one_line_format.py: a module that renders both a run and
validation results as plain lines, registered by the test with one registry line and nothing else."""

from __future__ import annotations

MARK = "throwaway-format"


def render(run) -> str:
    return "".join(f"{MARK} {r.status} {r.case.id}\n" for r in run.cases) + f"{MARK} run {run.status}\n"


def render_results(results: list) -> str:
    return "".join(f"{MARK} {'valid' if r.valid else 'INVALID'} {r.source}\n" for r in results)
