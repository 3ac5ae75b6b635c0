"""What many test files need, in one place: the checkout's paths, a file of it read as JSON, the
reports a run writes by default, the harness's CLI run as a user runs it (a subprocess of this
Python, the checkout first on the import path), a stdlib HTTP server of the test's own on loopback,
and the resources in a parsed body.

Plain names to import (`from tests.shared import ROOT, run_cli`); the fixtures built on them are in
tests/conftest.py (pytest advises against importing conftest modules).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
VALID = FIXTURES / "valid"
INVALID = FIXTURES / "invalid"
#: the files `run` writes into --reports-dir by default, sorted by name
DEFAULT_REPORTS = ("junit.xml", "report.html", "results.json", "testreport.json")


def load_json(path: str | Path) -> Any:
    """A JSON file of the checkout (a path relative to ROOT, or absolute), parsed."""
    return json.loads((ROOT / path).read_text(encoding="utf-8"))


def cli_env(**extra: str) -> dict[str, str]:
    """This process's environment with the checkout importable, plus extra."""
    return dict(os.environ, PYTHONPATH=str(ROOT), **extra)


def cli_argv(*args: str | Path) -> list[str]:
    """The command line of `imaging-harness ARGS` with this Python."""
    return [sys.executable, "-m", "harness", *map(str, args)]


def run_cli(*args: str | Path, env: dict | None = None, cwd: str | Path = ROOT, timeout: float = 300,
            text: bool = True, **kw) -> subprocess.CompletedProcess:
    """Run `imaging-harness ARGS` to its end and capture its output (env defaults to cli_env())."""
    return subprocess.run(cli_argv(*args), cwd=cwd, env=cli_env() if env is None else env, capture_output=True,
                          text=text, timeout=timeout, **kw)


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler], **attrs: Any) -> Iterator[ThreadingHTTPServer]:
    """A stdlib HTTP server on a free loopback port, serving in a daemon thread, with attrs set on it
    (its handler reads them as self.server.NAME) and its base URL as .base; stopped on exit."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    srv.base = f"http://127.0.0.1:{srv.server_address[1]}"
    for name, value in attrs.items():
        setattr(srv, name, value)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def resources(node: Any, types: set[str] | None = None) -> Iterator[dict]:
    """Every resource in a parsed body: itself, Bundle entries, contained ones (only of `types`, if given)."""
    if isinstance(node, dict):
        if "resourceType" in node and (types is None or node["resourceType"] in types):
            yield node
        for v in node.values():
            yield from resources(v, types)
    elif isinstance(node, list):
        for v in node:
            yield from resources(v, types)
