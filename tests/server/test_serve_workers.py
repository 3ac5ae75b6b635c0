"""`serve --validator-only --workers N` (issue #11): real processes on loopback, no mocks, no timings.

Each worker is shown to answer on its own by stopping the other (SIGSTOP): the kernel then hands
every new connection to the one still running.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.server.data import FHIR_JSON, TIMEOUT, fixture, selection
from tests.shared import cli_argv, cli_env, run_cli

pytestmark = pytest.mark.skipif(not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
                                reason="needs Linux /proc (worker processes are found there)")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_for(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


class Service:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(cli_argv("serve", "--validator-only", "--port", "0", "--workers", "2", *args),
                                     env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        banner = self.proc.stderr.readline()
        m = re.search(r"on http://127\.0\.0\.1:(\d+) \(workers 2, ", banner)
        assert m, banner + self.proc.stderr.read()
        self.url = f"http://127.0.0.1:{m.group(1)}"
        _wait_for(lambda: len(_children(self.proc.pid)) == 2 and self.answers(), "the workers did not start")
        self.workers = _children(self.proc.pid)

    def answers(self) -> bool:
        try:
            return requests.get(self.url + "/", timeout=TIMEOUT).status_code == 200
        except requests.ConnectionError:
            return False

    def stop(self, sig=signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(30)
        finally:
            for pid in _children(self.proc.pid):  # only if the test failed: leave nothing behind
                os.kill(pid, signal.SIGKILL)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def _post(url: str, body, path: str = "/$validate") -> requests.Response:
    # a new connection per request (no session), so the kernel picks a worker for each
    return requests.post(url + path, json=body, headers=dict(FHIR_JSON, Connection="close"), timeout=TIMEOUT)


def _errors(r: requests.Response) -> list[dict]:
    assert r.status_code == 200 and r.json()["resourceType"] == "OperationOutcome", r.text[:300]
    return [i for i in r.json()["issue"] if i["severity"] == "error"]


@pytest.mark.parametrize("stack", [[], ["--http", "h11", "--loop", "asyncio"]], ids=["auto", "h11-asyncio"])
def test_each_worker_validates(stack):
    svc = Service(*stack)
    try:
        valid = fixture("r5", "imagingselection-mr-prostate-roi.json")
        bad = selection("Patient/x")
        bad["status"] = "bogus"
        for paused in svc.workers:  # stop one, so the other answers every new connection
            os.kill(paused, signal.SIGSTOP)
            try:
                for _ in range(3):
                    assert _errors(_post(svc.url, valid)) == []
                    (err,) = _errors(_post(svc.url, bad, "/ImagingSelection/$validate"))
                    assert err["details"]["coding"][0]["code"] == "binding.required"
                    assert err["expression"] == ["ImagingSelection.status"]
                    r = requests.post(svc.url + "/$validate", data=b"{not json", headers=FHIR_JSON, timeout=TIMEOUT)
                    assert r.status_code == 400 and r.json()["resourceType"] == "OperationOutcome"
            finally:
                os.kill(paused, signal.SIGCONT)
        assert all(_running(pid) for pid in svc.workers)
    finally:
        code = svc.stop()
    assert code == -signal.SIGTERM


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGINT, 0)])
def test_stops_cleanly_on_a_signal(sig, code):
    svc = Service()
    with requests.Session() as keep_alive:  # an idle keep-alive connection does not hold the stop up
        assert _errors(keep_alive.post(svc.url + "/$validate", json=fixture("r5", "imagingstudy-ct-chest.json"),
                                       headers=FHIR_JSON, timeout=TIMEOUT)) == []
        assert svc.stop(sig) == code, svc.proc.stderr.read()
    assert not any(_running(pid) for pid in svc.workers)
    assert "Traceback" not in svc.proc.stderr.read()
    with pytest.raises(requests.ConnectionError):
        requests.get(svc.url + "/", timeout=TIMEOUT)


def test_a_worker_that_dies_is_replaced():
    svc = Service()
    try:
        time.sleep(2.5)  # past the start-up window, in which a dying worker stops the service instead
        os.kill(svc.workers[0], signal.SIGKILL)
        _wait_for(lambda: len(_children(svc.proc.pid)) == 2 and svc.workers[0] not in _children(svc.proc.pid),
                  "no replacement worker")
        assert _errors(_post(svc.url, fixture("r5", "imagingselection-mr-prostate-roi.json"))) == []
    finally:
        assert svc.stop() == -signal.SIGTERM
    assert "worker 1" in svc.proc.stderr.read()


def test_workers_die_with_a_killed_parent():
    svc = Service()
    svc.proc.kill()  # SIGKILL: the parent cannot pass anything on
    svc.proc.wait(30)
    _wait_for(lambda: not any(_running(pid) for pid in svc.workers), "workers outlived their parent")


def test_usage_errors():
    run = lambda *a: run_cli("serve", *a, timeout=60)  # noqa: E731
    r = run("--workers", "2")
    assert r.returncode == 2 and "--validator-only" in r.stderr
    r = run("--validator-only", "--workers", "0")
    assert r.returncode == 2
    r = run("--validator-only", "--http", "nope")
    assert r.returncode == 2 and "--http" in r.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        r = run("--validator-only", "--workers", "2", "--port", str(taken.getsockname()[1]))
    assert r.returncode == 1 and "cannot listen" in r.stderr
