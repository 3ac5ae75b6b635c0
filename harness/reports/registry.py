"""Run report formats: name → (module, default file name). Adding a format is one module with
`render(run: RunResult) -> str` and one line here."""

from __future__ import annotations

import importlib
from pathlib import Path

from harness.engine.events import RunFinished
from harness.engine.sink import printable
from harness.reports.atomic import write_atomic

FORMATS = {
    "junit": ("harness.reports.junit", "junit.xml"),
    "json": ("harness.reports.json_report", "results.json"),
    "testreport": ("harness.reports.testreport", "testreport.json"),
    "html": ("harness.reports.html", "report.html"),
}


def renderer(name: str):
    return importlib.import_module(FORMATS[name][0]).render


class FileReport:
    """A subscriber that renders one format when the run finishes (whatever way it finished).

    Whatever goes wrong while rendering or writing is kept in `error` (never raised into the run);
    `settle()` then removes the file a previous run left under the same name, so a report is either
    this run's or absent, never a stale one beside new ones."""

    def __init__(self, fmt: str, path: Path | str, version: str | None = None):
        self.fmt, self.path, self.version = fmt, Path(path), version
        self.written = False
        self.error: str | None = None

    def handle(self, event) -> None:
        if isinstance(event, RunFinished):
            try:
                write_atomic(self.path, renderer(self.fmt)(event.result))
                self.written = True
            except OSError as e:
                self.error = f"cannot write {self.path}: {e.strerror or e}"
            except Exception as e:  # noqa: BLE001 - a report's bug must not cost the other reports
                # the event was scrubbed, so no secret is in it; the message may still quote odd text
                self.error = printable(f"cannot render the {self.fmt} report: {type(e).__name__}: {e}")

    def settle(self) -> str | None:
        """After the run: None when this run's report is in place, else what went wrong (and the
        previous run's file under this name, if any, is gone)."""
        if self.written:
            return None
        why = self.error or "the run ended before the report was rendered"
        try:
            if self.path.is_symlink() or self.path.is_file():
                self.path.unlink()
                why += f"; the previous {self.path} was removed"
        except OSError as e:
            why += f"; the previous {self.path} could not be removed ({e.strerror or e}): it is stale"
        return why
