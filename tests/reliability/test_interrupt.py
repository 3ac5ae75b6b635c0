"""Ctrl-C: the run stops within a few seconds, writes every report with every case that finished,
marked as interrupted, deletes what it created, and exits 130 with one clear line and no traceback
(issues #7 and #20.3). Sent at several moments: start-up, mid-run (one worker and several), while
the run deletes what it created, while the reports are written; and to a parallel `validate`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.shared import DEFAULT_REPORTS, ROOT, cli_argv, cli_env, load_json


def _start(args: list[str]) -> subprocess.Popen:
    """The CLI as a terminal's foreground job: SIGINT at its default (a test runner started as a
    background job of a shell has it ignored, and children inherit that), in its own process group
    so the whole group gets the signal, as a terminal sends it."""
    return subprocess.Popen(cli_argv(*args), cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, process_group=0,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _catches_sigint(pid: int) -> bool:
    """Whether the process has a SIGINT handler yet (Python installs its own early in start-up)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True  # no /proc: rely on the time alone
    mask = int(re.search(r"^SigCgt:\s*([0-9a-f]+)", status, re.M).group(1), 16)
    return bool(mask & (1 << (signal.SIGINT - 1)))


def _ctrl_c(p: subprocess.Popen, after: float) -> tuple[str, str, float]:
    """Ctrl-C `after` seconds after the interpreter is up (before that, SIGINT just ends a process)."""
    deadline = time.monotonic() + 30
    while not _catches_sigint(p.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(after)
    assert p.poll() is None, "the command finished before it could be interrupted"
    os.killpg(p.pid, signal.SIGINT)
    t0 = time.monotonic()
    out, err = p.communicate(timeout=90)
    return out, err, time.monotonic() - t0


def _ctrl_c_after_cases(p: subprocess.Popen, cases: int) -> tuple[str, str, float]:
    """Ctrl-C once `cases` cases have finished (the run is started with -v: a line per case)."""
    lines: list[str] = []
    enough = threading.Event()

    def read() -> None:
        for line in p.stderr:
            lines.append(line)
            if sum(x.startswith(("PASSED", "FAILED", "ERROR", "SKIPPED")) for x in lines) >= cases:
                enough.set()
        enough.set()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert enough.wait(240) and p.poll() is None, "the run finished before it could be interrupted"
    os.killpg(p.pid, signal.SIGINT)
    t0 = time.monotonic()
    out = p.stdout.read()
    p.wait(90)
    reader.join(30)
    return out, "".join(lines), time.monotonic() - t0


def _reports_agree(d: Path) -> dict:
    """Every report holds the same cases: those that finished; the run is marked interrupted."""
    assert sorted(f.name for f in d.iterdir()) == list(DEFAULT_REPORTS)
    results = json.loads((d / "results.json").read_text(encoding="utf-8"))
    run, ids = results["run"], [c["id"] for c in results["cases"]]
    assert run["status"] == "interrupted" and run["message"].startswith("interrupted by the user (Ctrl-C)")
    junit = [tc.get("name") for tc in ET.parse(d / "junit.xml").iter("testcase")]
    assert set(ids) <= set(junit) and len(junit) <= len(ids) + 1  # + the run's own error testcase
    report = json.loads((d / "testreport.json").read_text(encoding="utf-8"))
    assert report["status"] == "stopped"
    html = (d / "report.html").read_text(encoding="utf-8")
    assert all(i in html for i in ids)
    return results


@pytest.mark.parametrize("workers", [1, 4])
def test_ctrl_c_mid_run_keeps_every_finished_case(tmp_path: Path, workers: int):
    # slow-responses: every response of the embedded server takes 0.5 s, so the run is still going
    p = _start(["run", "-v", "--fault", "slow-responses", "--reports-dir", str(tmp_path), "--workers", str(workers)])
    out, err, stopped_in = _ctrl_c_after_cases(p, 12)
    assert p.returncode == 130, (out, err)
    assert stopped_in < 30, stopped_in  # cleanup deletes, each answered after 0.5 s
    assert "Traceback" not in err + out
    results = _reports_agree(tmp_path)
    done = len(results["cases"])
    assert done > 1  # not only the skipped case, as before
    # the console says how far the run got, and it is what the reports hold
    m = re.search(r"run interrupted: interrupted by the user \(Ctrl-C\): (\d+) of (\d+) case\(s\) finished", err)
    assert m and int(m.group(1)) == done, err
    assert re.search(rf"^{done} case\(s\) in ", out, re.M), out
    assert results["run"]["created"] == results["run"]["deleted"] > 0
    last = err.strip().splitlines()[-1]
    assert last == (f"interrupted: every case that finished is in the reports; created {results['run']['created']}, "
                    f"deleted {results['run']['deleted']}")


@pytest.mark.parametrize("after", [0.5, 2.0])
def test_ctrl_c_at_start_up(tmp_path: Path, after: float):
    p = _start(["run", "--fault", "slow-responses", "--reports-dir", str(tmp_path)])
    out, err, _ = _ctrl_c(p, after)
    assert p.returncode == 130, (out, err)
    assert "Traceback" not in err + out
    assert err.strip().splitlines()[-1].startswith("interrupted")
    if (tmp_path / "results.json").exists():  # the run had begun: its reports are complete and say so
        _reports_agree(tmp_path)
    else:
        assert "nothing was run or written" in err
        assert not any(tmp_path.iterdir())


class _SigintOn:
    """A subscriber that sends this process a real SIGINT when it sees one kind of event."""

    def __init__(self, kind):
        self.kind, self.sent = kind, 0

    def handle(self, event):
        if isinstance(event, self.kind) and not self.sent:
            self.sent += 1
            os.kill(os.getpid(), signal.SIGINT)


def _in_process(tmp_path: Path, subscribers, monkeypatch=None):
    from harness.engine.loader import load_cases
    from harness.engine.session import RunOptions, execute
    from harness.reports.registry import DEFAULT, FORMATS, FileReport
    from harness.server.embedded import running

    reports = [FileReport(n, tmp_path / FORMATS[n][1]) for n in DEFAULT]
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    try:
        with running() as base:
            result, code = execute(load_cases(None, suites=["crud"]), RunOptions(server=base), subscribers + reports)
    finally:
        signal.signal(signal.SIGINT, previous)
    return result, code


def test_ctrl_c_while_the_reports_are_written_waits_for_them(tmp_path: Path):
    from harness.engine.events import RunFinished

    sender = _SigintOn(RunFinished)  # first subscriber: the reports are written after the signal
    result, code = _in_process(tmp_path, [sender])
    assert sender.sent == 1 and code == 130
    assert sorted(f.name for f in tmp_path.iterdir()) == list(DEFAULT_REPORTS)
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    # the run had finished: the reports are whole and say so (nothing was cut short)
    assert data["run"]["status"] == "completed" and len(data["cases"]) == len(result.cases) > 0
    assert data["run"]["created"] == data["run"]["deleted"]


def test_ctrl_c_while_deleting_stops_the_deleting_and_lists_what_is_left(tmp_path: Path, monkeypatch):
    from harness.engine import session

    real, seen = session._cleanup, {}

    def interrupted_cleanup(client, tracker, result, system=frozenset()):
        alive = tracker.alive()
        seen["deleted"] = tracker.counts()[1]  # what the cases deleted themselves
        client.request("DELETE", alive[-1])  # one deleted ...
        tracker.gone(alive[-1])
        os.kill(os.getpid(), signal.SIGINT)  # ... then Ctrl-C
        time.sleep(1)
        real(client, tracker, result, system)
    monkeypatch.setattr(session, "_cleanup", interrupted_cleanup)
    result, code = _in_process(tmp_path, [])
    assert code == 130
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    run = data["run"]
    assert run["status"] == "interrupted" and run["deleted"] == seen["deleted"] + 1 < run["created"]
    assert len(run["left"]) == run["created"] - run["deleted"]
    assert f"deleting what the run created was stopped ({len(run['left'])} left on the server)" in run["message"]
    assert len(data["cases"]) == len(result.cases) > 0  # every case had finished


def test_ctrl_c_during_a_parallel_validate(tmp_path: Path):
    src = load_json("fixtures/valid/r5/imagingstudy-ct-chest.json")
    big = tmp_path / "big.ndjson"
    with big.open("w", encoding="utf-8") as f:
        for i in range(12000):  # about 30 MB: above the size at which workers start
            src["id"] = f"s{i}"
            f.write(json.dumps(src) + "\n")
    out_file = tmp_path / "out.json"
    p = _start(["validate", str(big), "--workers", "2", "--format", "json", "-o", str(out_file)])
    children = Path(f"/proc/{p.pid}/task/{p.pid}/children")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and p.poll() is None and children.exists() \
            and len(children.read_text().split()) < 2:
        time.sleep(0.02)  # until the worker processes are up: the Ctrl-C reaches them too
    out, err, stopped_in = _ctrl_c(p, 0.2)
    assert p.returncode == 130, (out, err)
    assert stopped_in < 10
    assert "Traceback" not in err and "Process ForkPoolWorker" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and re.fullmatch(r"interrupted: \d+ resource\(s\) validated; \S+ was not written",
                                             lines[0]), err
    assert not out_file.exists()
