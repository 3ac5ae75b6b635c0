"""Run report formats: name → (module, default file name). Adding a format is one module with
`render(run: RunResult) -> str` and one line here. `run` writes the DEFAULT formats on every run and
the others only when their option names a file (`--summary FILE`)."""

from __future__ import annotations

import importlib
from pathlib import Path

from harness.engine.events import RunFinished
from harness.reports.atomic import write_atomic

FORMATS = {
    "junit": ("harness.reports.junit", "junit.xml"),
    "json": ("harness.reports.json_report", "results.json"),
    "testreport": ("harness.reports.testreport", "testreport.json"),
    "html": ("harness.reports.html", "report.html"),
    "summary": ("harness.reports.summary", "summary.md"),
}
DEFAULT = ("junit", "json", "testreport", "html")


def renderer(name: str):
    return importlib.import_module(FORMATS[name][0]).render


class FileReport:
    """A subscriber that renders one format when the run finishes (whatever way it finished)."""

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
