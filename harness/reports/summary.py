"""A Markdown summary of a run (`run --summary FILE`), short enough for a pull-request comment or a
CI step summary (`$GITHUB_STEP_SUMMARY`): the counts per suite, then each failed or errored case
with its requirement and a one-line cause.

Every text from the run (messages carry what a server answered) is made inert: one line, control
characters dropped, Markdown and HTML punctuation escaped, each cause cut at CAUSE_CHARS. The whole
summary stays under MAX_CHARS (GitHub's comment limit is 65,536): cases that do not fit are counted,
and the JUnit report has them all.
"""

from __future__ import annotations

import re
import unicodedata

from harness import __version__
from harness.engine.events import ERROR, FAILED, STATUSES, RunResult

MAX_CHARS = 60_000
CAUSE_CHARS = 300
_PUNCT = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")
_MARK = {FAILED: "❌", ERROR: "⚠️"}


def inline(text: object, limit: int = CAUSE_CHARS) -> str:
    """`text` as one line of inert Markdown: no control or format characters, punctuation escaped."""
    s = " ".join("".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in str(text)).split())
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return _PUNCT.sub(r"\\\1", s)


def _table(run: RunResult) -> list[str]:
    rows = ["| suite | " + " | ".join(STATUSES) + " |", "|---|" + "--:|" * len(STATUSES)]
    for suite in run.suites:
        n = {s: sum(1 for c in run.cases if c.case.suite == suite and c.status == s) for s in STATUSES}
        rows.append(f"| {inline(suite)} | " + " | ".join(str(n[s]) for s in STATUSES) + " |")
    rows.append("| **total** | " + " | ".join(f"**{run.count(s)}**" for s in STATUSES) + " |")
    return rows


def _problem(r) -> str:
    c = r.case
    return (f"- {_MARK[r.status]} **{inline(c.id)}** ({inline(c.suite)}, {r.status}): {inline(r.message or r.status)}\n"
            f"  - requirement: {inline(c.requirement.cite())}\n"
            f"  - case file: {inline(f'{c.file}:{c.line}')}")


def render(run: RunResult) -> str:
    counts = run.counts
    verdict = "passed" if run.status == "completed" and not counts[FAILED] and not counts[ERROR] else "failed"
    head = [f"## imaging-harness: {verdict}",
            "",
            f"{sum(counts.values())} case(s): " + ", ".join(f"{counts[s]} {s}" for s in STATUSES)
            + f" · server {inline(run.server, 200)} · FHIR {inline(run.fhir_version or 'unknown', 40)}"
            + f" · {run.duration_ms / 1000:.1f}s · imaging-harness {__version__}", ""]
    if run.status != "completed":
        head += [f"**The run ended early ({inline(run.status, 40)}):** {inline(run.message)}", ""]
    lines = head + _table(run) + [""]
    problems = [r for r in run.cases if r.status in (FAILED, ERROR)]
    if problems:
        lines.append(f"### Failures and errors ({len(problems)})")
        lines.append("")
        size = sum(len(x) + 1 for x in lines)
        for i, r in enumerate(problems):
            entry = _problem(r)
            if size + len(entry) + 200 > MAX_CHARS:
                lines.append(f"- … and {len(problems) - i} more (the JUnit report lists every case)")
                break
            lines.append(entry)
            size += len(entry) + 1
        lines.append("")
    if run.cleanup_problems:
        lines.append(f"Cleanup: {len(run.cleanup_problems)} problem(s); first: {inline(run.cleanup_problems[0])}")
        lines.append("")
    return "\n".join(lines)
