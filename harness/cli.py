"""The command line: the only module that knows Typer, exit codes and the terminal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from harness import __version__
from harness.cli_reports import ValidationFormat, format_option, with_report_files
from harness.cli_serve import serve
from harness.definitions import versions

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Conformance harness and validator for FHIR imaging servers.")

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@app.command()
def validate(
    paths: List[str] = typer.Argument(..., help="JSON resources, Bundles, NDJSON files or directories."),
    fhir_version: Optional[str] = typer.Option(
        None, "--fhir-version", help=f"{', '.join(versions.names())} "
        f"(default: decided by the resource type, else {versions.default()})."),
    fmt: ValidationFormat = format_option(),
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
    from harness.reports.atomic import atomic_file
    from harness.reports.registry import VALIDATION, formats, results_writer
    from harness.reports.validation import Tally
    from harness.pipeline.sources import missing, skipped_line, validate_paths
    from harness.pipeline.version_hint import VersionHint

    if fhir_version is not None and fhir_version not in definitions.VERSIONS:
        typer.echo(f"error: unknown --fhir-version {fhir_version!r}; use one of: "
                   f"{', '.join(definitions.VERSIONS)}", err=True)
        raise typer.Exit(EXIT_USAGE)
    resolver = None
    if context:
        from harness.pipeline.sources import load_context

        resolver, problems = load_context(context)
        for problem in problems:
            typer.echo(f"error: --context {problem}", err=True)
        if problems:
            raise typer.Exit(EXIT_USAGE)
    if workers is not None and workers < 1:
        typer.echo("error: --workers must be at least 1", err=True)
        raise typer.Exit(EXIT_USAGE)
    absent = missing(paths)
    if absent:
        for raw in absent:
            typer.echo(f"error: {raw}: no such file or directory", err=True)
        raise typer.Exit(EXIT_USAGE)
    skipped: list[str] = []
    hint = VersionHint(fhir_version)
    tally = Tally()

    def observed():
        for r in validate_paths(paths, fhir_version, resolver, workers, skipped):
            hint.observe(r)
            tally.add(r)
            yield r
    prose = formats(VALIDATION)[fmt.value].prose  # for people: colour on a terminal, ends with the counts
    write = results_writer(fmt.value)
    try:
        if output is None:
            write(observed(), sys.stdout, prose and sys.stdout.isatty())
        else:
            try:
                with atomic_file(output) as out:
                    write(observed(), out, False)
            except OSError as e:
                typer.echo(f"error: cannot write {output}: {e.strerror or e}", err=True)
                raise typer.Exit(EXIT_USAGE)
            if not prose:
                typer.echo(tally.line)
    except KeyboardInterrupt:
        sys.stdout.flush()
        where = f"{output} was not written" if output is not None else "the output above is incomplete"
        typer.echo(f"interrupted: {tally.resources} resource(s) validated; {where}", err=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    if skipped:  # beside the summary line, unless stdout holds data (json, junit, outcome...)
        typer.echo(skipped_line(skipped), err=output is None and not prose)
    if tally.invalid:
        note = hint.message()
        if note:
            typer.echo(note, err=True)
    raise typer.Exit(EXIT_OK if tally.invalid == 0 else EXIT_INVALID)


@app.command()
def rules() -> None:
    """Print the rule catalog (Markdown)."""
    from harness.catalog import render_markdown

    sys.stdout.write(render_markdown())


@app.command()
def version() -> None:
    """Print the harness version and the FHIR versions it knows."""
    from harness import definitions

    from harness import compiled

    typer.echo(f"imaging-harness {__version__} ({compiled.summary()})")
    for v in definitions.available():
        d = definitions.load(v)
        typer.echo(f"  {v:<13} {d.fhir_version:<16} {d.label}")


# --- test engine: `run` and `cases` (issue #4) ------------------------------------------------------

EXIT_FAILED, EXIT_UNREACHABLE = 1, 3


def _parse_headers(values: list[str]) -> dict:
    out = {}
    for h in values:
        name, sep, value = h.partition(":")
        if not sep or not name.strip():
            typer.echo(f"error: --header {h!r} is not 'Name: value'", err=True)
            raise typer.Exit(EXIT_USAGE)
        out[name.strip()] = value.strip()
    return out


def _load_or_exit(cases_dir, suite, case, tag):
    from harness.engine.loader import CaseErrors, load_cases

    try:
        return load_cases(cases_dir, suites=suite, case_ids=case, tags=tag)
    except CaseErrors as e:
        for err in e.errors:
            typer.echo(f"error: {err}", err=True)
        typer.echo(f"{len(e.errors)} problem(s) in the case files; the run did not start", err=True)
        raise typer.Exit(EXIT_USAGE)


@app.command()
@with_report_files
def run(
    server: Optional[str] = typer.Option(None, "--server", help="FHIR base URL (default: start the embedded reference server)."),
    fhir_version: str = typer.Option("auto", "--fhir-version", help="auto (CapabilityStatement.fhirVersion), "
                                     f"{', '.join(versions.runnable())}."),
    suite: List[str] = typer.Option([], "--suite", help="Run only these suites (repeatable)."),
    tag: List[str] = typer.Option([], "--tag", help="Run only cases with one of these tags (repeatable)."),
    case: List[str] = typer.Option([], "--case", help="Run only these case ids (repeatable)."),
    report_files: Optional[dict] = None,  # one --NAME FILE option per run format of the registry
    reports_dir: Path = typer.Option(Path("reports"), "--reports-dir", help="Where reports go by default."),
    token: Optional[str] = typer.Option(None, "--token", envvar="FHIR_TOKEN", show_envvar=True,
                                        help="Bearer token (never written to any report)."),
    token_file: Optional[Path] = typer.Option(None, "--token-file", help="File whose first line is the bearer "
                                              "token (keeps it out of the process list)."),
    header: List[str] = typer.Option([], "--header", help="Extra request header 'Name: value' (repeatable)."),
    secret_header: List[str] = typer.Option([], "--secret-header",
                                            help="Extra request header whose value is redacted everywhere (repeatable)."),
    deadline: float = typer.Option(1800.0, "--deadline", help="Overall run deadline, seconds."),
    fail_on: str = typer.Option("error", "--fail-on",
                                help="error, or warning: validation warnings in responses fail too."),
    timeout: float = typer.Option(30.0, "--timeout", help="Read timeout per request, seconds."),
    workers: int = typer.Option(1, "--workers", min=1, max=32, help="Cases run concurrently."),
    read_only: bool = typer.Option(False, "--read-only", help="Send only GET/HEAD and POST _search."),
    max_pages: int = typer.Option(50, "--max-pages", min=1, help="Next links followed per search; "
                                  "reaching the limit is reported as a paging failure."),
    no_cleanup: bool = typer.Option(False, "--no-cleanup", help="Keep what the run created."),
    fault: List[str] = typer.Option([], "--fault", help="Fault of the embedded server (no --server only)."),
    embedded_version: Optional[str] = typer.Option(None, "--embedded-version",
                                                   help=f"FHIR version of the embedded server, "
                                                        f"{versions.spoken(versions.served())} (default: --fhir-version "
                                                        f"when that is {versions.spoken(versions.served())}, else "
                                                        f"{versions.default()})."),
    cases_dir: Optional[Path] = typer.Option(None, "--cases", help="Your own test case directory (default: the cases installed with the harness)."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="One line per case."),
) -> None:
    """Run the conformance cases against a FHIR server and write the reports."""
    import contextlib
    from urllib.parse import urlsplit

    from harness.engine.session import RunOptions, execute
    from harness.reports.console import Console, interrupted_line
    from harness.reports.registry import RUN, FileReport, formats

    if token_file is not None:
        from harness.tokenfile import TokenFileError, read_token

        if token is not None:
            typer.echo("error: give the token once: --token-file, or --token / FHIR_TOKEN", err=True)
            raise typer.Exit(EXIT_USAGE)
        try:
            token = read_token(token_file)
        except TokenFileError as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(EXIT_USAGE)
    headers = _parse_headers(header)
    secrets = _parse_headers(secret_header)
    headers.update(secrets)
    if fail_on not in ("error", "warning"):
        typer.echo(f"error: --fail-on {fail_on!r}: use error or warning", err=True)
        raise typer.Exit(EXIT_USAGE)
    if fhir_version not in ("auto", *versions.runnable()):
        typer.echo(f"error: unknown --fhir-version {fhir_version!r}; use "
                   f"{versions.spoken(('auto', *versions.runnable()))}", err=True)
        raise typer.Exit(EXIT_USAGE)
    if server is not None:
        u = urlsplit(server)
        if u.scheme not in ("http", "https") or not u.hostname:
            typer.echo(f"error: --server {server!r} is not an http(s) URL", err=True)
            raise typer.Exit(EXIT_USAGE)
        if fault:
            typer.echo("error: --fault applies to the embedded server only (no --server)", err=True)
            raise typer.Exit(EXIT_USAGE)
    from harness.engine.oracle_suite import SUITE as ORACLE_SUITE

    # the search-oracle suite is generated at run time from the loaded dataset, so its case ids are
    # data-dependent: --case selects them by id or id prefix (e.g. search-oracle.ImagingStudy.started)
    oracle_ids = [c for c in case if c.startswith(ORACLE_SUITE)]
    file_ids = [c for c in case if not c.startswith(ORACLE_SUITE)]
    oracle = (not suite or ORACLE_SUITE in suite) and (not case or bool(oracle_ids))
    file_suites = [x for x in suite if x != ORACLE_SUITE]
    cases = [] if (suite and not file_suites) or (case and not file_ids) else _load_or_exit(cases_dir, file_suites, file_ids, tag)
    if not cases and not oracle:
        typer.echo("error: no case matches the selection", err=True)
        raise typer.Exit(EXIT_USAGE)

    def oracle_filter(c) -> bool:
        return ((not oracle_ids or any(c.id == i or c.id.startswith(i + ".") for i in oracle_ids))
                and (not tag or bool(set(tag) & set(c.tags))))
    subscribers = [Console(verbose=verbose)] + [
        FileReport(name, report_files[name] or reports_dir / f.file) for name, f in formats(RUN).items()
        if report_files[name] or f.default]
    if server is None:
        try:
            from harness.server import faults as faults_mod
            from harness.server.embedded import running
        except ImportError:
            typer.echo("error: the embedded reference server is not available; pass --server URL", err=True)
            raise typer.Exit(EXIT_USAGE)
        known = {**getattr(faults_mod, "FAULTS", {}), **getattr(faults_mod, "OPTIONS", {})}
        bad = [f for f in fault if f not in known]
        if bad:
            typer.echo(f"error: unknown fault(s) {', '.join(bad)}; known: {', '.join(known)}", err=True)
            raise typer.Exit(EXIT_USAGE)
        served = versions.served()
        embedded = embedded_version or (fhir_version if fhir_version in served else versions.default())
        if embedded not in served:
            typer.echo(f"error: the embedded server speaks {versions.spoken(served)}, not {embedded!r}; "
                       "pass --server URL", err=True)
            raise typer.Exit(EXIT_USAGE)
        server_cm = running(version=embedded, faults=tuple(fault))
    else:
        server_cm = contextlib.nullcontext(server)
    console = subscribers[0]
    try:
        with server_cm as base:
            opts = RunOptions(server=base, fhir_version=fhir_version, token=token, headers=headers,
                              secret_headers=frozenset(k.lower() for k in secrets), timeout=timeout,
                              workers=workers, read_only=read_only, cleanup=not no_cleanup, deadline_s=deadline,
                              fail_on=fail_on, oracle=oracle, oracle_filter=oracle_filter,
                              max_pages=max_pages)
            result, code = execute(cases, opts, subscribers)
    except KeyboardInterrupt:  # before the run started (the run itself handles Ctrl-C), or after it
        console.close()
        started = any(s.written or s.error for s in subscribers[1:])
        if started:
            _settle_reports(subscribers[1:])
        typer.echo("interrupted: " + ("the run had finished" if started else
                                      "before the run started: nothing was run or written"), err=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    finally:
        console.close()
    for problem in result.cleanup_problems:
        if problem.startswith("report: "):  # a subscriber (the console) failed; the reports say the rest
            typer.echo(f"error: {problem}", err=True)
    missing = _settle_reports(subscribers[1:])
    if missing:
        code = code or EXIT_USAGE
    if code == EXIT_INTERRUPTED:
        typer.echo(interrupted_line(result, not missing), err=True)
    raise typer.Exit(code)


def _settle_reports(reports) -> bool:
    """Name each report written, or say why it is not (and that no stale one is left); True if any
    is missing."""
    missing = False
    for s in reports:
        problem = s.settle()
        if problem is None:
            typer.echo(f"  {s.fmt:<10} {s.path}")  # part of the summary: stdout
        else:
            typer.echo(f"error: {s.fmt} report not written: {problem}", err=True)
            missing = True
    return missing


@app.command("cases")
def list_cases(
    suite: List[str] = typer.Option([], "--suite", help="Only these suites."),
    tag: List[str] = typer.Option([], "--tag", help="Only cases with one of these tags."),
    cases_dir: Optional[Path] = typer.Option(None, "--cases", help="Your own test case directory (default: the cases installed with the harness)."),
    fmt: str = typer.Option("text", "--format", help="text or json."),
) -> None:
    """List the test cases: id, suite, versions, tags, title and requirement."""
    import json as _json

    from harness.engine.oracle_suite import SUITE as ORACLE_SUITE

    file_suites = [x for x in suite if x != ORACLE_SUITE]
    cases = [] if suite and not file_suites else _load_or_exit(cases_dir, file_suites, [], tag)
    if fmt == "json":
        sys.stdout.write(_json.dumps([{"id": c.id, "suite": c.suite, "title": c.title, "versions": list(c.versions),
                                       "tags": list(c.tags), "requirement": c.requirement.cite(),
                                       "file": f"{c.file}:{c.line}"} for c in cases], indent=2) + "\n")
        raise typer.Exit(EXIT_OK)
    for c in cases:
        typer.echo(f"{c.id:<48} {c.suite:<14} {','.join(c.versions):<10} {','.join(c.tags)}")
        typer.echo(f"    {c.title}")
        typer.echo(f"    {c.requirement.cite()}")
    typer.echo(f"{len(cases)} case(s)")
    if not suite or ORACLE_SUITE in suite:
        typer.echo(f"+ the {ORACLE_SUITE} suite: generated by `run` from the SearchParameters and the dataset "
                   "once it is loaded on the server (ids like search-oracle.ImagingStudy.started.ge-day)")


app.command("list", hidden=True)(list_cases)

# --- end of test engine block --------------------------------------------------------------------------


app.command()(serve)
