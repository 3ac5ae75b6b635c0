"""Start-up: `imaging-harness validate` of one small fixture as a whole process, N times; min, median
and max wall time and the peak resident memory of each process (wait4's rusage), beside
`python -m harness version` and a bare `python -c pass` for reference.

    python benchmarks/bench_startup.py [--runs 10] [--fixture fixtures/valid/r5/imagingselection-mr-prostate-roi.json]

The processes import this checkout's harness (PYTHONPATH), also through the `imaging-harness` console
script when one is installed next to the interpreter. Two modes, each row in both:
- `.pyc`: compiled modules cached (PYTHONPYCACHEPREFIX in a temp dir, filled by a warm-up run), as
  after a regular `pip install`;
- `no .pyc`: PYTHONDONTWRITEBYTECODE=1 and no cache for the harness's own modules, so every start
  compiles them from source (site-packages keep their .pyc). This is the case when the environment
  sets PYTHONDONTWRITEBYTECODE and the checkout has no __pycache__.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_once(cmd: list[str], env: dict) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit code) of one process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return secs, usage.ru_maxrss / 1024, p.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--fixture", default="fixtures/valid/r5/imagingselection-mr-prostate-roi.json")
    args = ap.parse_args()
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    base["PYTHONPATH"] = str(ROOT)
    cache = tempfile.TemporaryDirectory()
    modes = [(".pyc", dict(base, PYTHONPYCACHEPREFIX=cache.name)), ("no .pyc", dict(base, PYTHONDONTWRITEBYTECODE="1"))]
    if any(ROOT.joinpath("harness").rglob("__pycache__")):
        print(f"note: {ROOT / 'harness'} has __pycache__ folders: the 'no .pyc' rows read them")
    script = shutil.which("imaging-harness", path=str(Path(sys.executable).parent)) or shutil.which("imaging-harness")
    commands = []
    if script:
        commands.append((f"imaging-harness validate {Path(args.fixture).name}", [script, "validate", args.fixture]))
    else:
        print("imaging-harness console script not found next to the interpreter or on PATH: row skipped")
    commands += [(f"python -m harness validate {Path(args.fixture).name}",
                  [sys.executable, "-m", "harness", "validate", args.fixture]),
                 ("python -m harness version", [sys.executable, "-m", "harness", "version"]),
                 ("python -c pass (interpreter alone)", [sys.executable, "-c", "pass"])]
    print(f"{args.runs} runs each, load average {os.getloadavg()[0]:.2f}")
    print(f"{'command':<64} {'mode':<8} {'min s':>7} {'median s':>9} {'max s':>7} {'peak RSS MB':>12} {'exit':>5}")
    with cache:
        for label, cmd in commands:
            for mode, env in modes:
                run_once(cmd, env)  # warm the page cache (and fill the .pyc cache)
                runs = [run_once(cmd, env) for _ in range(args.runs)]
                secs = [r[0] for r in runs]
                codes = sorted({r[2] for r in runs})
                print(f"{label:<64} {mode:<8} {min(secs):>7.3f} {statistics.median(secs):>9.3f} {max(secs):>7.3f} "
                      f"{max(r[1] for r in runs):>12.0f} {','.join(map(str, codes)):>5}")


if __name__ == "__main__":
    main()
