"""The command line: the only module that knows Typer, exit codes and the terminal."""

from __future__ import annotations

import os
import sys
import tempfile
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


def _write_atomic(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(content)
    os.replace(tmp, path)


@app.command()
def validate(
    paths: List[str] = typer.Argument(..., help="JSON resources, Bundles, NDJSON files or directories."),
    fhir_version: Optional[str] = typer.Option(
        None, "--fhir-version", help="stu3-ballot, stu3, r4, r4b, r5-snapshot1, r5, r6-ballot2 "
        "(default: decided by the resource type, else r5)."),
    fmt: Fmt = typer.Option(Fmt.text, "--format", help="Output format."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write the output to this file."),
    context: List[str] = typer.Option([], "--context", help="Files or directories of resources the imaging "
                                      "rules may resolve references against (not validated themselves)."),
) -> None:
    """Validate FHIR resources: structure, FHIR JSON rules, bindings, invariants and imaging rules.

    All files given in one call form one resolution context for the imaging rules (a selection in
    one file is checked against the study in another)."""
    from harness import definitions
    from harness.reports.validation import render
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
    results = list(validate_paths(paths, fhir_version, resolver))
    colour = fmt is Fmt.text and output is None and sys.stdout.isatty()
    text = render(fmt.value, results, colour=colour)
    if output is not None:
        try:
            _write_atomic(output, text)
        except OSError as e:
            typer.echo(f"error: cannot write {output}: {e.strerror or e}", err=True)
            raise typer.Exit(EXIT_USAGE)
        if fmt is not Fmt.text:
            typer.echo(render("text", results).splitlines()[-1])
    else:
        sys.stdout.write(text)
    raise typer.Exit(EXIT_OK if all(r.valid for r in results) else EXIT_INVALID)


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


@app.command()
def serve(
    fhir_version: str = typer.Option("r5", "--fhir-version", help="r4 or r5."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8080, "--port", help="TCP port (0: any free port)."),
    db: Optional[str] = typer.Option(None, "--db", help="SQLite file (kept across restarts); default: in memory."),
    fault: List[str] = typer.Option([], "--fault", help="Inject a non-conformance (repeatable); see --list-faults."),
    list_faults: bool = typer.Option(False, "--list-faults", help="Print the fault catalog and exit."),
    validator_only: bool = typer.Option(False, "--validator-only",
                                        help="Serve only the validator: POST /$validate, POST /{type}/$validate, page at /."),
    max_body: int = typer.Option(10 * 1024 * 1024, "--max-body", help="Largest request body in bytes (413 above)."),
) -> None:
    """Run the reference FHIR imaging server (with optional faults) or the validator service."""
    from harness.server.faults import FAULTS

    if list_faults:
        for name, text in FAULTS.items():
            typer.echo(f"{name:<24} {text}")
        raise typer.Exit(EXIT_OK)
    unknown = [f for f in fault if f not in FAULTS]
    if unknown:
        typer.echo(f"error: unknown --fault {', '.join(unknown)}; see --list-faults", err=True)
        raise typer.Exit(EXIT_USAGE)
    if fhir_version not in ("r4", "r5"):
        typer.echo(f"error: the reference server speaks r4 or r5, not {fhir_version!r}", err=True)
        raise typer.Exit(EXIT_USAGE)
    import uvicorn

    from harness.server.app import create_app, create_validator_app

    application = (create_validator_app(max_body) if validator_only
                   else create_app(fhir_version, db, fault, max_body=max_body))
    what = "validator service" if validator_only else f"FHIR {fhir_version} server" + (
        f" with faults {', '.join(fault)}" if fault else "")
    typer.echo(f"imaging-harness {what} on http://{host}:{port}", err=True)
    uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        sys.stderr.write("interrupted\n")
        sys.exit(130)
