"""Every report format, once: the single list that `run` and `validate` derive their options from.

A format is one module and one line in REGISTRY. The line declares it: its name (`run --NAME FILE`,
`validate --format NAME`; unique among the formats of each command), its module, what it renders
(RUN: the results of a run; VALIDATION: the results of `validate`; or both), its file name under
`run --reports-dir`, whether `run` writes it on every run or only when `--NAME FILE` is given, the
help of its option, and for `validate` whether it is prose for people (coloured on a terminal,
ending with the summary line) rather than data. The run formats and the validate formats of the same
name are separate modules here: the run renderers import the engine, which `validate` does not load.

The module renders what its line says:
- RUN: `render(run: RunResult) -> str`, called once when the run finishes (FileReport below);
- VALIDATION: `render_results(results: list[Result]) -> str`, and optionally
  `write_results(results: Iterable[Result], out: IO[str], colour: bool) -> None`, which writes while
  the results are produced (memory stays bounded on any input; the bytes are render_results').

The command line reads this list at every start-up, before any command runs, so this module imports
the standard library only at its top; a format's module is imported when it renders."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import NamedTuple

RUN, VALIDATION = "run", "validation"


class ReportFormat(NamedTuple):
    module: str
    file: str | None  # under --reports-dir (RUN formats)
    name: str
    renders: tuple[str, ...]
    help: str
    default: bool = False  # `run` writes it on every run
    prose: bool = False  # `validate`: lines for people, not data


REGISTRY = (
    ReportFormat(name="junit", module="harness.reports.junit", renders=(RUN,), file="junit.xml", default=True,
                 help="JUnit XML report"),
    ReportFormat(name="json", module="harness.reports.json_report", renders=(RUN,), file="results.json",
                 default=True, help="JSON results"),
    ReportFormat(name="testreport", module="harness.reports.testreport", renders=(RUN,), file="testreport.json",
                 default=True, help="FHIR TestReport"),
    ReportFormat(name="html", module="harness.reports.html", renders=(RUN,), file="report.html", default=True,
                 help="HTML report"),
    ReportFormat(name="summary", module="harness.reports.summary", renders=(RUN,), file="summary.md",
                 help="Markdown summary (PR comment, CI step summary)"),
    ReportFormat(name="text", module="harness.reports.validation_text", renders=(VALIDATION,), file=None,
                 prose=True, help="each resource's verdict and issues, then the counts"),
    ReportFormat(name="json", module="harness.reports.validation_json", renders=(VALIDATION,), file=None,
                 help="every result and the counts"),
    ReportFormat(name="junit", module="harness.reports.validation_junit", renders=(VALIDATION,), file=None,
                 help="JUnit XML, a testcase per resource"),
    ReportFormat(name="outcome", module="harness.reports.validation_outcome", renders=(VALIDATION,), file=None,
                 help="a Bundle of OperationOutcomes, one per resource"),
)
#: `validate`'s output when --format is not given
VALIDATION_DEFAULT = "text"


def formats(kind: str) -> dict[str, ReportFormat]:
    """The formats that render `kind` (RUN or VALIDATION), by name, in registry order."""
    return {f.name: f for f in REGISTRY if kind in f.renders}


def __getattr__(name: str):
    """FORMATS (the RUN formats by name) and DEFAULT (the names `run` writes on every run), derived
    from REGISTRY when read, so a format registered after import is in them."""
    if name == "FORMATS":
        return formats(RUN)
    if name == "DEFAULT":
        return tuple(n for n, f in formats(RUN).items() if f.default)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def renderer(name: str):
    """`render(run)` of the RUN format `name`."""
    return importlib.import_module(formats(RUN)[name].module).render


def results_writer(name: str):
    """`write(results, out, colour)` of the VALIDATION format `name`: its module's write_results, or
    its render_results written whole."""
    module = importlib.import_module(formats(VALIDATION)[name].module)
    write = getattr(module, "write_results", None)
    if write is not None:
        return write
    return lambda results, out, colour=False: out.write(module.render_results(list(results)))


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
        from harness.engine.events import RunFinished  # the engine, when a run is under way only

        if isinstance(event, RunFinished):
            from harness.engine.sink import printable
            from harness.reports.atomic import write_atomic

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
