"""The default conformance run against the embedded reference server, as a whole process:
`imaging-harness run --workers W --reports-dir <temp>` for each W and each embedded version; wall time
(the process, server start and report writing included), the run's own duration and the case counts
from the JSON report (results.json).

    python benchmarks/bench_suite.py [--workers 1 4] [--versions VERSION...] [--runs 3]

(--versions: those the reference server speaks, from the version table; default all, newest first)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from _version_table import version_table  # noqa: E402

SERVED = list(version_table().served())


def run_once(version: str, workers: int, reports: Path) -> tuple[float, int, dict]:
    """(wall seconds, exit code, results.json) of one `imaging-harness run`."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "harness", "run", "--workers", str(workers), "--embedded-version", version,
           "--reports-dir", str(reports)]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    secs = time.perf_counter() - t0
    try:
        report = json.loads((reports / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        report = {"error": f"no readable results.json: {e}; stderr: {p.stderr[-500:]}"}
    report["stderr"] = p.stderr
    return secs, p.returncode, report


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--versions", nargs="+", default=SERVED[::-1], choices=SERVED)
    ap.add_argument("--runs", type=int, default=3, help="runs per configuration (min and median reported)")
    args = ap.parse_args()
    print(f"{args.runs} run(s) per row, load average {os.getloadavg()[0]:.2f}")
    print(f"{'embedded':>8} {'workers':>7} {'wall min s':>10} {'wall med s':>10} {'run ms (med)':>12} "
          f"{'total':>6} {'passed':>6} {'failed':>6} {'error':>6} {'skipped':>7} {'exit':>5}")
    for version in args.versions:
        for w in args.workers:
            walls, durations, summary, codes = [], [], {}, set()
            for _ in range(args.runs):
                reports = Path(tempfile.mkdtemp(prefix="bench-suite-"))
                try:
                    secs, code, report = run_once(version, w, reports)
                finally:
                    shutil.rmtree(reports, ignore_errors=True)
                if "error" in report:
                    print(f"  {version} workers {w}: {report['error']}")
                    continue
                if code != 0:  # say which cases made the run fail, so a rare failure can be traced
                    bad = [(c.get("id"), c.get("status")) for c in report.get("cases", [])
                           if c.get("status") not in ("passed", "skipped")]
                    print(f"  {version} workers {w}: exit {code}; cases not passed: {bad[:10]}; "
                          f"stderr: {report['stderr'][-300:]!r}")
                walls.append(secs)
                durations.append(report["run"]["durationMs"])
                summary, codes = report["summary"], codes | {code}
            if not walls:
                continue
            print(f"{version:>8} {w:>7} {min(walls):>10.2f} {statistics.median(walls):>10.2f} "
                  f"{statistics.median(durations):>12.0f} {summary['total']:>6} {summary['passed']:>6} "
                  f"{summary['failed']:>6} {summary['error']:>6} {summary['skipped']:>7} "
                  f"{','.join(map(str, sorted(codes))):>5}")


if __name__ == "__main__":
    main()
