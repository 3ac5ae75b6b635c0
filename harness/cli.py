"""The command line: the only module that knows Typer, exit codes and the terminal."""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager, suppress
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from harness import __version__

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Conformance harness and validator for FHIR imaging servers.")

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class Fmt(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"
    outcome = "outcome"


@contextmanager
def _atomic_writer(path: Path):
    """A text file that appears under its name only when complete (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


@app.command()
def validate(
    paths: List[str] = typer.Argument(..., help="JSON resources, Bundles, NDJSON files or directories."),
    fhir_version: Optional[str] = typer.Option(
        None, "--fhir-version", help="stu3-ballot, stu3, r4, r4b, r5-snapshot1, r5, r6-ballot2 "
        "(default: decided by the resource type, else r5)."),
    fmt: Fmt = typer.Option(Fmt.text, "--format", help="Output format."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write the output to this file."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Processes for large NDJSON files "
                                          "(default: one per core)."),
    context: List[str] = typer.Option([], "--context", help="Files or directories of resources the imaging "
                                      "rules may resolve references against (not validated themselves)."),
) -> None:
    """Validate FHIR resources: structure, FHIR JSON rules, bindings, invariants and imaging rules.

    All files given in one call form one resolution context for the imaging rules (a selection in
    one file is checked against the study in another)."""
    from harness import definitions
    from harness.reports.validation import stream
    from harness.validation.sources import validate_paths

    if fhir_version is not None and fhir_version not in definitions.VERSIONS:
        typer.echo(f"error: unknown --fhir-version {fhir_version!r}; use one of: "
                   f"{', '.join(definitions.VERSIONS)}", err=True)
        raise typer.Exit(EXIT_USAGE)
    resolver = None
    if context:
        from harness.validation.sources import load_context

        resolver, problems = load_context(context)
        for problem in problems:
            typer.echo(f"error: --context {problem}", err=True)
        if problems:
            raise typer.Exit(EXIT_USAGE)
    if workers is not None and workers < 1:
        typer.echo("error: --workers must be at least 1", err=True)
        raise typer.Exit(EXIT_USAGE)
    results = validate_paths(paths, fhir_version, resolver, workers)
    colour = fmt is Fmt.text and output is None and sys.stdout.isatty()
    if output is None:
        tally = stream(fmt.value, results, sys.stdout, colour=colour)
    else:
        try:
            with _atomic_writer(output) as out:
                tally = stream(fmt.value, results, out)
        except OSError as e:
            typer.echo(f"error: cannot write {output}: {e.strerror or e}", err=True)
            raise typer.Exit(EXIT_USAGE)
        if fmt is not Fmt.text:
            typer.echo(tally.line)
    raise typer.Exit(EXIT_OK if tally.invalid == 0 else EXIT_INVALID)


@app.command()
def rules() -> None:
    """Print the rule catalog (Markdown)."""
    from harness.validation.catalog import render_markdown

    sys.stdout.write(render_markdown())


@app.command()
def version() -> None:
    """Print the harness version and the FHIR versions it knows."""
    from harness import definitions

    typer.echo(f"imaging-harness {__version__}")
    for v in definitions.available():
        d = definitions.load(v)
        typer.echo(f"  {v:<13} {d.fhir_version:<16} {d.label}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        sys.stderr.write("interrupted\n")
        sys.exit(130)
