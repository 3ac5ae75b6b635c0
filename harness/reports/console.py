"""What `run` says while it runs and at the end: progress and failures on stderr (a live bar on a
terminal, else one plain line per failed case, for CI logs), the summary table on stdout.

A failure line names the case, the request of the step that failed and the message, cut to
LINE_LIMIT characters (the reports hold the whole text).
"""

from __future__ import annotations

import sys

from harness.engine.events import CaseFinished, CasesPlanned, RunFinished, RunStarted, STATUSES

LINE_LIMIT = 300  # characters of a failure line in a log; on a terminal, two screen lines
REQUEST_LIMIT = 160  # of the request in it (a long URL keeps its start and its end)
VALUE_LIMIT = 32  # of each query parameter's value in it (every parameter name stays)
_BAD = ("failed", "error")


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Console:
    def __init__(self, stream=None, verbose: bool = False, out=None, live: bool | None = None):
        self.stream = stream or sys.stderr  # progress and failures
        self.out = out or sys.stdout  # the summary
        self.verbose = verbose
        self.live = _isatty(self.stream) if live is None else live
        self.bar = None
        self.base = ""
        self.cut = 0

    def _say(self, line: str) -> None:
        if self.bar is not None:
            self.bar.print(line)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()

    def handle(self, event) -> None:
        if isinstance(event, RunStarted):
            self.base = event.server.rstrip("/") + "/"
            more = " + the search-oracle suite (generated once the dataset is loaded)" if event.generated else ""
            self._say(f"imaging-harness: {event.planned} case(s){more} against {event.server} "
                      f"(FHIR {event.fhir_version})")
            if self.live:
                from harness.reports.progress import LiveBar

                self.bar = LiveBar(self.stream, None if event.generated else event.planned)
        elif isinstance(event, CasesPlanned):
            if self.bar is not None:
                self.bar.set_total(event.total)
        elif isinstance(event, CaseFinished):
            r = event.result
            if self.verbose or r.status in _BAD or r.message.startswith("passed (erratum "):  # an erratum applied
                limit = max(LINE_LIMIT, 2 * self.bar.width) if self.bar is not None else LINE_LIMIT
                line, cut = case_line(r, self.base, limit)
                self.cut += cut
                self._say(line)
            if self.bar is not None:
                self.bar.advance(r.status in _BAD)
        elif isinstance(event, RunFinished):
            self.close()
            status = status_line(event.result)
            if status:
                self._say(status)
            self.out.write("\n" + summary(event.result))
            if self.cut:
                self.out.write(f"({self.cut} failure line(s) cut short above; the reports hold every message "
                               "in full)\n")
            self.out.flush()

    def close(self) -> None:
        """Stop the live bar (idempotent): before the summary, or when the run ends by an exception."""
        if self.bar is not None:
            bar, self.bar = self.bar, None
            bar.close()


def interrupted_line(result, reports_written: bool) -> str:
    """The last line of an interrupted run: only what is true of it."""
    if result.status != "interrupted":  # Ctrl-C came while the reports of a finished run were written
        return "interrupted after the run finished: the reports are complete"
    parts = ["every case that finished is in the reports" if reports_written else "some reports were not written"]
    if result.created:
        parts.append(f"created {result.created}, deleted {result.deleted}" +
                     (f", {len(result.left)} left on the server (listed above)" if result.left else ""))
    return "interrupted: " + "; ".join(parts)


def cut(text: str, limit: int, middle: bool = False) -> str:
    """text in at most `limit` characters: its start and '…' (or, for a URL, its start, '…' and its end)."""
    if len(text) <= limit:
        return text
    if middle:
        head = (limit - 1) * 2 // 3
        return text[:head] + "…" + text[len(text) - (limit - 1 - head):]
    return text[:limit - 1] + "…"


def failed_request(result, base: str = "") -> str | None:
    """'METHOD path?query' of the first exchange of the step that failed (relative to the server's base)."""
    for step in result.steps:
        if step.cleanup or step.passed:
            continue
        if not step.exchanges:
            return None
        e = step.exchanges[0]
        url = e.url[len(base):] if base and e.url.startswith(base) else e.url
        path, sep, query = url.partition("?")
        if sep:  # every parameter named, long values (UIDs, the run's tag) shortened in the middle
            query = "&".join(k + eq + cut(v, VALUE_LIMIT, middle=True)
                             for k, eq, v in (p.partition("=") for p in query.split("&")))
        return f"{e.method} {path}{sep}{query}"
    return None


def case_line(result, base: str = "", limit: int = LINE_LIMIT) -> tuple[str, bool]:
    """One line for a case: status, id, the failed request, the message (whitespace folded), cut to
    `limit`; and whether anything was cut."""
    request = failed_request(result, base) if result.status in _BAD else None
    head = f"{result.status.upper():7} {result.case.id}"
    if request:
        head += f"  [{cut(request, REQUEST_LIMIT, middle=True)}]"
    message = " ".join(result.message.split())
    line = f"{head}: {message}"
    return cut(line, limit), len(line) > limit


def status_line(run) -> str | None:
    """How the run ended, when that is not simply 'completed' (a diagnostic: stderr)."""
    if run.status != "completed":
        return f"run {run.status}: {run.message}"
    return run.message or None


def counts_line(label: str, counts: dict) -> str:
    """One suite (or the total) in one self-explaining line: the passed count, then every other status
    that is not zero beside it, e.g. `crud   0 passed, 5 failed, 3 skipped` (never a bare `passed 0`)."""
    others = [f"{counts[s]} {s}" for s in STATUSES if s != "passed" and counts.get(s)]
    return f"{label:<16}{counts.get('passed', 0):>5} passed" + "".join(f", {o}" for o in others)


def summary(run) -> str:
    lines = []
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
