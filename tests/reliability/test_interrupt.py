"""Ctrl-C: the run stops within a few seconds, writes every report marked as interrupted, deletes
what it created, and exits 130 (issue #7)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ctrl_c_stops_writes_reports_cleans_up_and_exits_130(tmp_path: Path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # slow-responses: every response of the embedded server takes 0.5 s, so the run is still going
    # Ctrl-C as a terminal delivers it: a test runner started as a background job of a shell has
    # SIGINT ignored, and a child inherits that (Python then leaves it ignored), so it is restored
    args = ["run", "--fault", "slow-responses", "--reports-dir", str(tmp_path)]
    start = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
             f"sys.argv = ['imaging-harness'] + {args!r}; runpy.run_module('harness', run_name='__main__')")
    p = subprocess.Popen([sys.executable, "-c", start], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(6)
    assert p.poll() is None, "the run finished before it could be interrupted"
    p.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    out, err = p.communicate(timeout=60)
    stopped_in = time.monotonic() - t0
    assert p.returncode == 130, (out, err)
    assert stopped_in < 30, stopped_in  # cleanup deletes, each answered after 0.5 s
    assert "Traceback" not in err
    assert sorted(f.name for f in tmp_path.iterdir()) == ["junit.xml", "report.html", "results.json", "testreport.json"]
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    text = json.dumps(results)
    assert "interrupted" in text
    run = results.get("run", results)
    assert run.get("created", 0) == run.get("deleted", 0), run
