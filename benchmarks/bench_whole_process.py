"""Speed as a user meets it (issue #23): `imaging-harness validate FILE --format json -o OUT` as a whole
process, one pass over distinct resources, beside the peers each run as a whole process over the
same NDJSON file, once per round, interleaved, best of --rounds.

    pip install fhir.resources fhirkit-rs     # the peers are not dependencies of the harness
    python benchmarks/bench_whole_process.py [--rounds 3] [--seed 23] [--keep DIR] [--json FILE]
        [--small-r5 60000] [--small-r4 20000] [--large-r5 10000] [--large-r4 10000] [--startup-runs 10]
        [--harness PATH/TO/imaging-harness]     # e.g. the console script of a venv the wheel went into
        [--extra-harness NAME=PATH]...          # more harness rows beside it (e.g. wheel=/venv/bin/imaging-harness)

Corpora (seeded; every id, UID, date and reference distinct; written as compact NDJSON):
- small R5: benchmarks/corpus_small.py, one third ImagingStudy (2 series, 3 instances, no
  narrative) and two thirds ImagingSelection (one instance, one 2D region, no study given);
- small R4: ImagingStudy of 2 series, 3 instances and an endpoint;
- large R5 and large R4: benchmarks/corpus.py (1-4 series of 1-30 instances, narratives; R5 with
  selections of the preceding study, so the single-series rule resolves them within the file).
Rows per corpus, each a whole process timed from exec to exit (start-up and imports included):
- imaging-harness validate, default workers (one per core for files over 8 MB), JSON report written;
- the same with --workers 1 (one core: the like-for-like row beside one-process peers);
- orjson.loads per line (parsing only), fhir.resources model_validate_json per line (one process),
  fhirkit-rs parse_many on 2 threads (R4 only): benchmarks/peer_process.py.
Then the start-up: `validate` of one small resource file, --startup-runs times, best and median.
cpu/wall is the CPU time of the process and its workers (wait4) over the wall time. A peer that is
not installed is reported as such; the harness's report is read back (resources, errors) and a
peer's rejections are counted, so every row is shown to have done the work.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import orjson  # noqa: E402

from corpus import r4_studies, r5_imaging  # noqa: E402
from corpus_small import small_r4, small_r5  # noqa: E402

PEER = str(HERE / "peer_process.py")


def harness_command() -> list[str]:
    """The console script installed next to this interpreter (what a user runs), else `-m harness`."""
    script = shutil.which("imaging-harness", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "harness"]


def corpora(args) -> list[tuple[str, str, list[dict]]]:
    wanted = [("small R5", "r5", small_r5, args.small_r5), ("small R4", "r4", small_r4, args.small_r4),
              ("large R5", "r5", r5_imaging, args.large_r5), ("large R4", "r4", r4_studies, args.large_r4)]
    return [(name, v, gen(n, seed=args.seed)) for name, v, gen, n in wanted if n > 0]


def write_ndjson(path: Path, resources: list[dict]) -> int:
    data = b"".join(orjson.dumps(r) + b"\n" for r in resources)
    path.write_bytes(data)
    return len(data)


def rows_for(version: str, file: Path, harness: list[str], out: Path,
             extra: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    args = ["validate", str(file), "--fhir-version", version, "--format", "json", "-o", str(out)]
    validate = harness + args
    rows = [("imaging-harness validate (default workers)", validate),
            ("imaging-harness validate --workers 1", validate + ["--workers", "1"])]
    rows += [(f"imaging-harness validate [{name}]", [path] + args) for name, path in extra]
    rows += [("orjson.loads per line (parse only)", [sys.executable, PEER, "orjson", str(file)]),
             ("fhir.resources (one process)", [sys.executable, PEER, "fhir.resources", str(file),
                                               "--fhir-version", version])]
    if version == "r4":
        rows.append(("fhirkit-rs parse_many, 2 threads", [sys.executable, PEER, "fhirkit-rs", str(file),
                                                          "--threads", "2"]))
    return rows


def timed(cmd: list[str], log: Path) -> dict:
    """Run cmd once: wall seconds, CPU seconds of it and its reaped children, exit code. (No peak RSS:
    wait4's ru_maxrss of an exec'd child starts from this process's own, which holds the corpus.)"""
    with log.open("wb") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "exit": os.waitstatus_to_exitcode(status), "output": log.read_text(errors="replace")[-2000:]}


def verdict(name: str, run: dict, report: Path) -> str:
    """What the row says it did: the harness's report summary, or the peer's own count."""
    if name.startswith("imaging-harness"):
        try:
            s = orjson.loads(report.read_bytes())["summary"]
        except (OSError, ValueError, KeyError) as e:
            return f"no report ({type(e).__name__}; exit {run['exit']})"
        return f"{s['resources']:,} validated, {s['errors']:,} errors (exit {run['exit']})"
    try:
        s = json.loads(run["output"].strip().splitlines()[-1])
    except (ValueError, IndexError):
        return f"failed (exit {run['exit']}): {run['output'][-200:]!r}"
    if not s.get("installed"):
        return "not installed"
    return f"{s['resources']:,} read, {s['rejected']:,} rejected" + (f": {s['first_error'][:80]!r}" if s["rejected"] else "")


def measure(args) -> dict:
    harness = [args.harness] if args.harness else harness_command()
    tmp = Path(args.keep or tempfile.mkdtemp(prefix="bench-wp-"))
    tmp.mkdir(parents=True, exist_ok=True)
    def version(cmd: list[str]) -> str:
        out = subprocess.run(cmd + ["version"], capture_output=True, text=True).stdout.splitlines()
        return out[0] if out else "?"
    results = {"harness": " ".join(harness), "version": version(harness), "load": os.getloadavg(),
               "extra": {name: f"{version([path])} via {path}" for name, path in args.extra_harness},
               "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "corpora": []}
    plans = []
    for name, v, resources in corpora(args):
        file = tmp / (name.replace(" ", "-").lower() + ".ndjson")
        size = write_ndjson(file, resources)
        report = tmp / (file.stem + ".results.json")
        entry = {"name": name, "version": v, "resources": len(resources), "bytes": size, "rows": {}}
        results["corpora"].append(entry)
        plans.append((entry, report, rows_for(v, file, harness, report, args.extra_harness)))
    skip: set[tuple[str, str]] = set()
    for rnd in range(args.rounds):
        for entry, report, rows in plans:
            for label, cmd in rows:
                if (entry["name"], label) in skip:
                    continue
                report.unlink(missing_ok=True)
                run = timed(cmd, tmp / "last.log")
                run["verdict"] = verdict(label, run, report)
                if run["verdict"] == "not installed":
                    skip.add((entry["name"], label))
                entry["rows"].setdefault(label, []).append(run)
            print(f"round {rnd + 1}/{args.rounds} {entry['name']}: done (load {os.getloadavg()[0]:.2f})", file=sys.stderr)
    one = tmp / "one-small.json"
    one.write_bytes(orjson.dumps(small_r5(2, seed=args.seed)[1]))
    start = [timed(harness + ["validate", str(one), "--format", "json", "-o", str(tmp / "one.out.json")],
                   tmp / "last.log") for _ in range(args.startup_runs + 1)][1:]  # the first warms the page cache
    bare = [timed([sys.executable, "-c", "pass"], tmp / "last.log") for _ in range(args.startup_runs)]
    results["startup"] = {"validate_one_small": [r["wall"] for r in start], "exit": sorted({r["exit"] for r in start}),
                          "python_c_pass": [r["wall"] for r in bare]}
    results["load_after"] = os.getloadavg()
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def best(runs: list[dict]) -> dict | None:
    ok = [r for r in runs if r["verdict"] != "not installed" and not r["verdict"].startswith(("failed", "no report"))]
    return min(ok, key=lambda r: r["wall"]) if ok else None


def show(results: dict) -> None:
    print(f"{results['version']} via {results['harness']}; {results['date']}; load average "
          f"{results['load'][0]:.2f} before, {results['load_after'][0]:.2f} after")
    for name, line in results["extra"].items():
        print(f"[{name}]: {line}")
    ratios = []
    for c in results["corpora"]:
        print(f"\n{c['name']}: {c['resources']:,} resources, {c['bytes'] / c['resources']:,.0f} B on average "
              f"({c['bytes'] / 1e6:.1f} MB); best of {max(len(r) for r in c['rows'].values())}")
        print(f"  {'row':<46} {'best s':>7} {'res/s':>9} {'cpu/wall':>9}  verdict (best run)")
        rate = {}
        for label, runs in c["rows"].items():
            b = best(runs)
            if b is None:
                print(f"  {label:<46} {'-':>7} {'-':>9} {'-':>9}  {runs[-1]['verdict']}")
                continue
            rate[label] = c["resources"] / b["wall"]
            print(f"  {label:<46} {b['wall']:>7.2f} {rate[label]:>9,.0f} {b['cpu'] / b['wall']:>9.0%}  {b['verdict']}")
        h, h1 = rate.get("imaging-harness validate (default workers)"), rate.get("imaging-harness validate --workers 1")
        for peer, what in (("fhir.resources (one process)", "harness / fhir.resources"),
                           ("fhirkit-rs parse_many, 2 threads", "harness / fhirkit-rs (2 threads)")):
            if peer in rate and h:
                line = f"{what}: {h / rate[peer]:.2f}× (default workers)"
                if h1:
                    line += f", {h1 / rate[peer]:.2f}× (--workers 1)"
                ratios.append((c["name"], line))
        if h and "orjson.loads per line (parse only)" in rate:
            ratios.append((c["name"], f"orjson parsing / harness: {rate['orjson.loads per line (parse only)'] / h:.2f}× "
                                      "(default workers)" + (f", {rate['orjson.loads per line (parse only)'] / h1:.2f}× "
                                                             "(--workers 1)" if h1 else "")))
    print("\nratios (resources/s of the best runs):")
    for name, line in ratios:
        print(f"  {name}: {line}")
    s = results["startup"]
    print(f"\nstart-up: validate of one small resource file, JSON report: best {min(s['validate_one_small']):.3f} s, "
          f"median {statistics.median(s['validate_one_small']):.3f} s, exit {s['exit']}; "
          f"`python -c pass` best {min(s['python_c_pass']):.3f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=23)
    ap.add_argument("--small-r5", type=int, default=60000)
    ap.add_argument("--small-r4", type=int, default=20000)
    ap.add_argument("--large-r5", type=int, default=10000)
    ap.add_argument("--large-r4", type=int, default=10000)
    ap.add_argument("--startup-runs", type=int, default=10)
    ap.add_argument("--harness", help="the imaging-harness executable to time (default: next to this Python)")
    ap.add_argument("--extra-harness", metavar="NAME=PATH", default=[], action="append",
                    type=lambda s: tuple(s.split("=", 1)) if "=" in s else ap.error(f"--extra-harness {s}: NAME=PATH"),
                    help="one more row per corpus: this imaging-harness executable (default workers), e.g. a wheel's")
    ap.add_argument("--keep", help="write the corpora and reports here and keep them")
    ap.add_argument("--json", help="also write every run's figures to this file")
    args = ap.parse_args()
    results = measure(args)
    show(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
