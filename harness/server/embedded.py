"""The reference server in a background thread of this process, for tests and `run` without --server."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from typing import Iterable, Iterator

import uvicorn

from harness.definitions import versions
from harness.server.app import create_app
from harness.server.limits import BODY_TIMEOUT
from harness.server.protocol import http_class
from harness.server.workers import choose


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # not the main thread: leave signals alone
        pass

    @contextmanager
    def capture_signals(self):  # uvicorn >= 0.29 spelling of the same hook
        yield


@contextmanager
def serving(app, request_timeout: float = BODY_TIMEOUT) -> Iterator[str]:
    """Serve any ASGI app on 127.0.0.1 (a free port) in a thread; yield the base URL; stop on exit.
    request_timeout: seconds a request's header block may take to arrive (protocol.py)."""
    # proto IPPROTO_TCP (not 0), so asyncio sets TCP_NODELAY on accepted connections; without it
    # every keep-alive response waits ~40 ms for a delayed ACK (Nagle), as http.server does
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = _Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                                    timeout_keep_alive=60, http=http_class(choose("--http", "auto"), request_timeout)))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name=f"imaging-harness-server-{port}")
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the embedded server did not start")
            time.sleep(0.005)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def running(version: str | None = None, faults: Iterable[str] = (), db: str | None = None) -> Iterator[str]:
    """Start the reference server (`version`, else the version table's default), yield its FHIR base
    URL (no trailing slash), stop it on exit."""
    with serving(create_app(version or versions.default(), db, faults)) as base:
        yield base
