"""`serve --validator-only --workers N`: N processes answer on one listening socket.

The parent binds the socket (so the port is taken, and known, before any worker exists), builds and
warms up the app, then forks the workers; each runs its own uvicorn.Server on the inherited socket,
and the kernel hands every new connection to one of them. The parent only supervises:

- SIGINT or SIGTERM: every worker gets SIGTERM and shuts down gracefully (requests in flight are
  answered); a worker still running GRACE seconds later, or at a second signal, is killed. Then the
  parent ends as `serve --workers 1` (uvicorn) does: after SIGINT with exit code 0; after SIGTERM
  terminated by SIGTERM (raised again under its previous handler; exit status 143 in a shell).
- exit code 1 instead when a worker had to be killed, failed to stop cleanly, or failed to start
  (died within START_GRACE seconds; the others are then stopped); a worker that dies later on its
  own (a crash, the OOM killer) is replaced.
- the workers die with the parent (Linux PR_SET_PDEATHSIG), so even `kill -9` of the parent leaves
  no orphan serving on the port.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import signal
import socket
import sys
import time
import traceback
from contextlib import contextmanager, suppress

import uvicorn

GRACE = 10.0
START_GRACE = 2.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
EXIT_NOT_STARTED = 3


#: option -> (the fast choice, the pure-Python one), as uvicorn names them
CHOICES = {"--http": ("httptools", "h11"), "--loop": ("uvloop", "asyncio")}


def supported() -> bool:
    return hasattr(os, "fork")


def choose(option: str, value: str) -> str:
    """uvicorn's http or loop setting for `value`; auto: the fast one when it is installed here."""
    fast, plain = CHOICES[option]
    if value not in ("auto", fast, plain):
        raise ValueError(f"{option} {value!r}: use auto, {plain} or {fast}")
    installed = importlib.util.find_spec(fast) is not None and not (fast == "uvloop" and sys.platform == "win32")
    if value == fast and not installed:
        raise ValueError(f"{option} {fast}: {fast} is not installed here")
    return value if value != "auto" else (fast if installed else plain)


def bind(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A listening TCP socket on host:port (IPv4 or IPv6, as the host resolves)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    # proto IPPROTO_TCP, so asyncio sets TCP_NODELAY on accepted connections (see embedded.py)
    sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


class _WorkerServer(uvicorn.Server):
    """A worker's server: the worker's own signal handlers are in place before it starts; no re-raise."""

    @contextmanager
    def capture_signals(self):
        yield

    def install_signal_handlers(self) -> None:  # uvicorn < 0.29 spelling of the same hook
        pass


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        with suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before that took effect
        os._exit(1)


def _worker(app, sock: socket.socket, options: dict, parent: int) -> int:
    server = _WorkerServer(uvicorn.Config(app, **options))

    def stop(sig, frame) -> None:
        server.should_exit = True

    for sig in STOP_SIGNALS:
        signal.signal(sig, stop)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the parent's handlers are not the worker's
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # blocked by the parent around fork()
    _die_with_parent(parent)
    server.run(sockets=[sock])
    return 0 if server.started else EXIT_NOT_STARTED


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exited with code {os.WEXITSTATUS(status)}"


def supervise(app, sock: socket.socket, workers: int, **options) -> int:
    """Run `workers` forked uvicorn servers on `sock` until SIGINT/SIGTERM; see the module doc."""
    parent = os.getpid()
    live: dict[int, tuple[int, float]] = {}  # pid -> (worker number, started)
    state = {"signal": None, "stopping": False, "failed": False}
    options = {"log_level": "warning", "access_log": False, **options}

    def spawn(number: int) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # no parent handler runs in a child
        try:
            pid = os.fork()
            if pid == 0:  # the worker: never returns into the CLI
                code = 1
                try:
                    code = _worker(app, sock, options, parent)
                except BaseException:
                    traceback.print_exc()
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code)
            live[pid] = (number, time.monotonic())
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

    def signal_all(sig: int) -> None:
        for pid in list(live):
            with suppress(ProcessLookupError):
                os.kill(pid, sig)

    def stop() -> None:
        if not state["stopping"]:
            state["stopping"] = True
            signal_all(signal.SIGTERM)
            signal.setitimer(signal.ITIMER_REAL, GRACE)

    def on_stop_signal(sig, frame) -> None:
        if state["signal"] is None:
            state["signal"] = sig
            stop()
        else:  # a second signal: no more waiting
            signal_all(signal.SIGKILL)

    def on_alarm(sig, frame) -> None:
        signal_all(signal.SIGKILL)

    previous = {sig: signal.signal(sig, on_stop_signal) for sig in STOP_SIGNALS}
    previous[signal.SIGALRM] = signal.signal(signal.SIGALRM, on_alarm)
    try:
        for number in range(1, workers + 1):
            if not state["stopping"]:
                spawn(number)
        while live:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            if pid not in live:
                continue
            number, started = live.pop(pid)
            clean = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
            if state["stopping"]:
                state["failed"] |= not clean
                if not clean:
                    print(f"imaging-harness: worker {number} (pid {pid}) {_describe(status)} while stopping",
                          file=sys.stderr)
            elif time.monotonic() - started < START_GRACE or (
                    os.WIFEXITED(status) and os.WEXITSTATUS(status) == EXIT_NOT_STARTED):
                print(f"imaging-harness: worker {number} (pid {pid}) {_describe(status)} while starting; "
                      "stopping the service", file=sys.stderr)
                state["failed"] = True
                stop()
            else:
                print(f"imaging-harness: worker {number} (pid {pid}) {_describe(status)}; starting another",
                      file=sys.stderr)
                spawn(number)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    if state["failed"]:
        return 1
    if state["signal"] == signal.SIGTERM:  # as uvicorn: terminated by the signal it was sent
        signal.raise_signal(signal.SIGTERM)
    return 0
