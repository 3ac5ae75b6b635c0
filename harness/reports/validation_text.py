"""`validate --format text` (the default): for each resource a line with its verdict and a block per
issue (severity, rule, location, message, requirement), then the summary line. On a terminal the
severities are coloured."""

from __future__ import annotations

from typing import IO, Iterable

from harness.reports.validation import Tally, summary, summary_line
from harness.validation.issues import ERROR, INFORMATION, WARNING, Result

_COLOURS = {ERROR: "\033[31m", WARNING: "\033[33m", INFORMATION: "\033[36m"}


def _text_lines(r: Result, colour: bool, show_information: bool = True) -> list[str]:
    lines = [f"{r.source}: {r.resource_type or '?'}/{r.id or '-'} [{r.fhir_version}] {'valid' if r.valid else 'INVALID'}"]
    for i in r.issues:
        if i.severity == INFORMATION and not show_information:
            continue
        sev = f"{_COLOURS[i.severity]}{i.severity}\033[0m" if colour else i.severity
        lines.append(f"  {sev:<11} {i.rule:<30} {i.location}")
        lines.append(f"              {i.message}")
        lines.append(f"              requirement: {i.requirement}")
    return lines


def to_text(results: Iterable[Result], colour: bool = False, show_information: bool = True) -> str:
    results = list(results)
    lines = [line for r in results for line in _text_lines(r, colour, show_information)]
    s = summary(results)
    lines.append(summary_line(s["resources"], sum(1 for r in results if not r.valid), s["errors"], s["warnings"]))
    return "\n".join(lines) + "\n"


def render_results(results: list[Result]) -> str:
    return to_text(results)


def write_results(results: Iterable[Result], out: IO[str], colour: bool = False) -> None:
    """The same text, written resource by resource while the results are produced."""
    tally = Tally()
    for r in results:
        tally.add(r)
        out.write("\n".join(_text_lines(r, colour)) + "\n")
    out.write(tally.line + "\n")
