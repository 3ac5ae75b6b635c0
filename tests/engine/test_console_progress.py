"""What `run` prints (issue #20 items 9 and 10): on a terminal a live bar whose total is the number of
cases that run (the search-oracle suite included); in a log (no terminal) no bar, one line per
failed case naming its request, the summary on stdout and diagnostics on stderr."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import termios
from pathlib import Path

from harness.engine.events import CaseResult, StepResult
from harness.engine.http import Exchange
from harness.reports.console import LINE_LIMIT, case_line
from tests.shared import ROOT, cli_argv, cli_env, run_cli

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BAR = re.compile(r"cases .*?(\d+|\?)/(\d+|\?)")


def _under_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run the CLI with stdin, stdout and stderr on a pseudo-terminal (120 columns); all it printed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    p = subprocess.Popen(cli_argv(*args), stdin=slave, stdout=slave, stderr=slave, env=cli_env(), cwd=ROOT,
                         close_fds=True)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return p.wait(timeout=120), out.decode("utf-8", "replace")


def test_bar_total_on_a_terminal_is_the_number_of_cases_that_run(tmp_path: Path):
    code, text = _under_a_terminal(["run", "--fault", "ignore-include", "--reports-dir", str(tmp_path)])
    assert code == 1, text
    cases = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["cases"]
    assert len(cases) > 300  # the search-oracle suite (generated after the dataset loads) is in it
    plain = ANSI.sub("", text)
    shown = BAR.findall(plain)
    assert shown, plain[:2000]
    totals = {total for _, total in shown}
    # before the suite is generated the total is unknown ('?'), never the 52 file cases; then exact
    assert totals <= {"?", str(len(cases))}, totals
    assert shown[-1] == (str(len(cases)), str(len(cases)))
    assert plain.count("\n") < 80  # one bar redrawn in place, not a line of '#' per case
    failed = [c for c in cases if c["status"] in ("failed", "error")]
    for c in failed:  # each failure is printed above the bar, with its request
        assert re.search(rf"FAILED\s+{re.escape(c['id'])}\s+\[GET ", plain), c["id"]
    assert "Traceback" not in plain


def test_no_terminal_no_bar_one_line_per_failure(tmp_path: Path):
    p = run_cli("run", "--fault", "ignore-include", "--reports-dir", str(tmp_path), timeout=120)
    assert p.returncode == 1, p.stderr
    cases = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["cases"]
    failed = [c for c in cases if c["status"] in ("failed", "error")]
    assert len(failed) >= 2
    assert "\r" not in p.stderr and "━" not in p.stderr and "\x1b" not in p.stderr  # no bar, no escapes
    lines = [line for line in p.stderr.splitlines() if line.startswith(("FAILED", "ERROR"))]
    assert sorted(line.split()[1].rstrip(":") for line in lines) == sorted(c["id"] for c in failed)
    assert all(len(line) <= LINE_LIMIT for line in lines)
    # each names the request of the step that failed (the query a reader re-runs) and the message
    for line in lines:
        c = next(c for c in failed if c["id"] == line.split()[1].rstrip(":"))
        step = next(s for s in c["steps"] if not s["cleanup"] and (s["error"] or not all(a["passed"] for a in s["assertions"])))
        ex = step["exchanges"][0]
        assert f"[{ex['method']} " in line
        assert ex["url"].split("?")[0].rsplit("/", 1)[-1] in line
    # the summary on stdout, nothing of it on stderr
    assert re.search(r"^total\s+\d+", p.stdout, re.M) and "case(s) in" in p.stdout
    assert "results.json" in p.stdout
    assert "total " not in p.stderr and "FAILED" not in p.stdout


def _result(message: str, url: str) -> CaseResult:
    from harness.engine.loader import load_cases

    case = load_cases(None)[0]
    ex = Exchange("GET", url, {}, None, 200, {}, "{}", 1)
    step = StepResult("search", (ex,), (), "boom")
    return CaseResult(case, "error", message, (step,))


def test_long_messages_are_cut_in_the_console_only():
    long = "x" * 5000
    r = _result(f"step 'search': {long}", "http://h/fhir/ImagingStudy?" + "a=1&" * 100 + "end=2")
    line, cut = case_line(r, "http://h/fhir/", LINE_LIMIT)
    assert cut and len(line) == LINE_LIMIT and line.endswith("…")
    assert "[GET ImagingStudy?a=1" in line and "end=2]" in line  # a long URL keeps both its ends
    assert r.message.endswith(long)  # the result (what every report renders) keeps all of it
    short, was_cut = case_line(_result("step 'search':\n  two\tlines", "http://h/fhir/Patient"), "http://h/fhir/")
    assert not was_cut and short.endswith("[GET Patient]: step 'search': two lines")
