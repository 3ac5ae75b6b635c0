"""Console progress while running and a summary table at the end (to a text stream, usually stderr)."""

from __future__ import annotations

import sys

from harness.engine.events import CaseFinished, RunFinished, RunStarted, STATUSES

_MARK = {"passed": ".", "failed": "F", "error": "E", "skipped": "s"}


class Console:
    def __init__(self, stream=None, verbose: bool = False):
        self.stream = stream or sys.stderr
        self.verbose = verbose
        self.planned = 0
        self.done = 0

    def _w(self, s: str) -> None:
        self.stream.write(s)
        self.stream.flush()

    def handle(self, event) -> None:
        if isinstance(event, RunStarted):
            self.planned = event.planned
            more = " + the search-oracle suite (generated once the dataset is loaded)" if event.generated else ""
            self._w(f"imaging-harness: {event.planned} case(s){more} against {event.server} "
                    f"(FHIR {event.fhir_version})\n")
        elif isinstance(event, CaseFinished):
            self.done += 1
            r = event.result
            tty = getattr(self.stream, "isatty", lambda: False)()
            if self.verbose or r.status in ("failed", "error") or r.message.startswith("passed (erratum "):
                self._w(f"{chr(13) if tty else ''}[{self.done}/{self.planned}] {r.status.upper():7} {r.case.id}: {r.message}\n")
            elif tty:
                width = 30
                filled = int(width * self.done / max(self.planned, 1))
                self._w(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.planned}")
        elif isinstance(event, RunFinished):
            self._w("\n" + summary(event.result))


def counts_line(label: str, counts: dict) -> str:
    """One suite (or the total) in one self-explaining line: the passed count, then every other status
    that is not zero beside it, e.g. `crud   0 passed, 5 failed, 3 skipped` (never a bare `passed 0`)."""
    others = [f"{counts[s]} {s}" for s in STATUSES if s != "passed" and counts.get(s)]
    return f"{label:<16}{counts.get('passed', 0):>5} passed" + "".join(f", {o}" for o in others)


def summary(run) -> str:
    lines = []
    if run.status != "completed":
        lines.append(f"run {run.status}: {run.message}")
    elif run.message:
        lines.append(run.message)
    for name in run.suites:
        rs = [r for r in run.cases if r.case.suite == name]
        lines.append(counts_line(name, {s: sum(r.status == s for r in rs) for s in STATUSES}))
    if run.suites:
        lines.append(counts_line("total", run.counts))
    lines.append(f"{len(run.cases)} case(s) in {run.duration_ms / 1000:.1f}s; created {run.created}, "
                 f"deleted {run.deleted}" + (f", left {len(run.left)}" if run.left else "")
                 + (f"; cleanup problems: {len(run.cleanup_problems)}" if run.cleanup_problems else ""))
    lines += [f"  left on the server: {x}" for x in run.left[:20]]
    if len(run.left) > 20:
        lines.append(f"  … and {len(run.left) - 20} more (results.json lists them all)")
    return "\n".join(lines) + "\n"
