"""The command line's `serve`: the reference FHIR server or the validator service (registered on the
Typer app in harness/cli.py, which owns every other command)."""

from __future__ import annotations

import errno
from typing import List, Optional

import typer

from harness.definitions import versions

EXIT_OK, EXIT_USAGE = 0, 2
EXIT_CANNOT_LISTEN = 1  # the port is taken, or a worker failed to start or stop


def serve(
    fhir_version: str = typer.Option(versions.default(), "--fhir-version",
                                     help=f"{versions.spoken(versions.served())}."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8080, "--port", help="TCP port (0: any free port)."),
    db: Optional[str] = typer.Option(None, "--db", help="SQLite file (kept across restarts); default: in memory."),
    fault: List[str] = typer.Option([], "--fault", help="Inject a non-conformance (repeatable); see --list-faults."),
    list_faults: bool = typer.Option(False, "--list-faults", help="Print the fault catalog and exit."),
    validator_only: bool = typer.Option(False, "--validator-only",
                                        help="Serve only the validator: POST /$validate, POST /{type}/$validate, page at /."),
    max_body: int = typer.Option(10 * 1024 * 1024, "--max-body", help="Largest request body in bytes (413 above)."),
    workers: int = typer.Option(1, "--workers", help="Processes answering on one socket (with --validator-only; "
                                "the FHIR server keeps its data in one process)."),
    http: str = typer.Option("auto", "--http", help="HTTP parser: auto (httptools if installed, else h11), h11, "
                             "httptools."),
    loop: str = typer.Option("auto", "--loop", help="Event loop: auto (uvloop if installed, else asyncio), asyncio, "
                             "uvloop."),
    allow_host: List[str] = typer.Option([], "--allow-host", help="A further Host name to answer (repeatable; "
                                         "'*': any). Default: the loopback names and --host."),
    body_timeout: float = typer.Option(30.0, "--body-timeout", min=0.1, help="Seconds a request's headers, and "
                                       "then its body, may take to arrive (408 / connection closed after)."),
) -> None:
    """Run the reference FHIR imaging server (with optional faults) or the validator service.

    Stops on SIGINT (exit code 0) or SIGTERM (terminated by it, as uvicorn does) after answering the
    requests in flight. Exit code 1 if it cannot listen (e.g. the port is taken; the error names the
    cause), or with --workers N if a worker failed to start or to stop; 2 for a usage error. With
    --port 0 the address printed has the port the system chose."""
    from harness.server.faults import CASES, EVERY_SEARCH, FAULTS, OPTIONS

    if list_faults:
        for name, text in FAULTS.items():
            typer.echo(f"{name:<24} {text}")
            if name in CASES:
                every = "every search case, e.g. " if name in EVERY_SEARCH else ""
                typer.echo(f"{'':<24} fails: {every}{', '.join(CASES[name])}")
        for name, text in OPTIONS.items():
            typer.echo(f"{name:<24} (conformant option) {text}")
        raise typer.Exit(EXIT_OK)
    unknown = [f for f in fault if f not in FAULTS and f not in OPTIONS]
    if unknown:
        typer.echo(f"error: unknown --fault {', '.join(unknown)}; see --list-faults", err=True)
        raise typer.Exit(EXIT_USAGE)
    if fhir_version not in versions.served():
        typer.echo(f"error: the reference server speaks {versions.spoken(versions.served())}, "
                   f"not {fhir_version!r}", err=True)
        raise typer.Exit(EXIT_USAGE)
    from harness.server import workers as forked

    try:
        http, loop = forked.choose("--http", http), forked.choose("--loop", loop)
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(EXIT_USAGE)
    if workers < 1 or (workers > 1 and not validator_only):
        typer.echo("error: --workers N: N >= 1, and above 1 only with --validator-only (the FHIR server "
                   "keeps its data in one process)", err=True)
        raise typer.Exit(EXIT_USAGE)
    if workers > 1 and not forked.supported():
        typer.echo("error: --workers above 1 needs os.fork (not on this platform)", err=True)
        raise typer.Exit(EXIT_USAGE)
    import uvicorn

    from harness.server.app import create_app, create_validator_app
    from harness.server.guard import is_loopback, served_names
    from harness.server.protocol import http_class

    hosts = served_names(host, allow_host)
    if not is_loopback(host):  # the servers have no authentication: say so where the operator looks
        typer.echo(f"warning: --host {host} is not a loopback address: anyone who can reach it can read, write "
                   f"and delete everything this server holds (it has no authentication)", err=True)
    if validator_only:
        from harness.server.service import warm_up

        application = create_validator_app(max_body, hosts=hosts, body_timeout=body_timeout)
        warm_up()  # definitions loaded before the first request (and shared by forked workers)
    else:
        application = create_app(fhir_version, db, fault, max_body=max_body, hosts=hosts, body_timeout=body_timeout)
    protocol = http_class(http, body_timeout)
    what = "validator service" if validator_only else f"FHIR {fhir_version} server" + (
        f" with faults {', '.join(fault)}" if fault else "")
    config = f"(workers {workers}, http {http}, loop {loop})"
    try:
        sock = forked.bind(host, port)
    except OSError as e:
        why = (e.strerror or str(e)).lower()
        more = "; choose another with --port, or --port 0 for any free one" if e.errno == errno.EADDRINUSE else ""
        typer.echo(f"error: cannot listen on {host}:{port}: {why}{more}", err=True)
        raise typer.Exit(EXIT_CANNOT_LISTEN)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"imaging-harness {what} on http://{shown}:{sock.getsockname()[1]} {config}", err=True)
    if workers == 1:
        server = uvicorn.Server(uvicorn.Config(application, log_level="warning", access_log=False, http=protocol,
                                               loop=loop))
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:  # uvicorn re-raises the SIGINT it stopped on: a clean stop
            pass
        raise typer.Exit(EXIT_OK if server.started else EXIT_CANNOT_LISTEN)
    raise typer.Exit(forked.supervise(application, sock, workers, http=protocol, loop=loop))
