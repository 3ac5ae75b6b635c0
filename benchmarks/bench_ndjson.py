"""NDJSON at scale: `imaging-harness validate` on a generated export, its wall time, throughput and
the peak resident memory of the whole process tree (the CLI and its worker processes), for one
worker and for one per core, side by side.

    python benchmarks/bench_ndjson.py [--mb 1024] [--workers 1 2]     (--size-mb is the same as --mb)

Memory figures (and cpu/wall, the CPU time of the tree over the wall time, which shows whether
the workers had their cores): the peak of the whole tree (the CLI and its workers) as summed RSS
and as summed PSS (pages shared after the fork counted once: the memory the run really holds),
sampled from /proc every 0.1 s, and the largest single process (ru_maxrss from wait4).

The export repeats the bundled R5 ImagingStudy and ImagingSelection fixtures with fresh ids.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["fixtures/valid/r5/imagingstudy-ct-chest.json", "fixtures/valid/r5/imagingselection-mr-prostate-roi.json",
           "fixtures/invalid/imaging/single-series-dir/imagingselection.json"]


def make_export(path: Path, megabytes: int) -> int:
    templates = [json.loads((ROOT / s).read_text(encoding="utf-8")) for s in SOURCES]
    n, size, limit = 0, 0, megabytes * 1024 * 1024
    with path.open("w", encoding="utf-8") as f:
        while size < limit:
            r = dict(templates[n % len(templates)])
            r["id"] = f"{r['id']}-{n}"
            line = json.dumps(r, separators=(",", ":")) + "\n"
            f.write(line)
            size += len(line)
            n += 1
    return n


def tree_rss_kb(pid: int) -> tuple[int, int]:
    """Resident memory (RSS, and PSS: shared pages divided among their sharers) of pid and all its
    descendants (Linux /proc), in kB. Summed RSS counts the pages a forked worker still shares with
    its parent once per process; summed PSS counts them once."""
    rss, pss, stack = 0, 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                fields = {k: int(v.split()[0]) for k, _, v in (line.partition(":") for line in f) if k in ("Rss", "Pss")}
            rss, pss = rss + fields["Rss"], pss + fields["Pss"]
            with open(f"/proc/{p}/task/{p}/children") as f:
                stack += [int(c) for c in f.read().split()]
        except (OSError, KeyError):
            continue
    return rss, pss


def run(export: Path, workers: int) -> tuple[float, int, int, int, float, int]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0, peak, peak_pss = time.perf_counter(), 0, 0
    p = subprocess.Popen([sys.executable, "-m", "harness", "validate", str(export), "--fhir-version", "r5",
                          "--format", "json", "-o", str(export) + ".out.json",
                          "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        rss, pss = tree_rss_kb(p.pid)
        peak, peak_pss = max(peak, rss), max(peak_pss, pss)
        time.sleep(0.1)
    p.returncode = os.waitstatus_to_exitcode(status)
    return (time.perf_counter() - t0, peak, peak_pss, usage.ru_maxrss, usage.ru_utime + usage.ru_stime,
            p.returncode)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", "--size-mb", type=int, default=1024)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, len(os.sched_getaffinity(0))])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "export.ndjson"
        n = make_export(export, args.mb)
        print(f"export: {args.mb} MB, {n:,} resources")
        print(f"{'workers':>7} {'seconds':>9} {'resources/s':>12} {'cpu/wall':>9} {'peak RSS (MB)':>14} "
              f"{'peak PSS (MB)':>14} {'largest process (MB)':>21} {'exit':>5}")
        for w in args.workers:
            secs, peak_kb, pss_kb, one_kb, cpu, rc = run(export, w)
            print(f"{w:>7} {secs:>9.1f} {n / secs:>12,.0f} {cpu / secs:>9.0%} {peak_kb / 1024:>14.0f} "
                  f"{pss_kb / 1024:>14.0f} {one_kb / 1024:>21.0f} {rc:>5}")
        print("cpu/wall: CPU time of the CLI and its workers over the wall time; well under the worker count "
              "means the cores were shared. Exit 1: the export includes an invalid fixture on purpose.")


if __name__ == "__main__":
    main()
