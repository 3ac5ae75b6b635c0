"""The reference server in a background thread of this process, for tests and `run` without --server."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from typing import Iterable, Iterator

import uvicorn

from harness.server.app import create_app


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # not the main thread: leave signals alone
        pass

    @contextmanager
    def capture_signals(self):  # uvicorn >= 0.29 spelling of the same hook
        yield


@contextmanager
def running(version: str = "r5", faults: Iterable[str] = (), db: str | None = None) -> Iterator[str]:
    """Start the reference server on 127.0.0.1 (a free port), yield its base URL, stop it on exit."""
    app = create_app(version, db, faults)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = _Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name=f"imaging-harness-server-{port}")
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the embedded reference server did not start")
            time.sleep(0.005)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
