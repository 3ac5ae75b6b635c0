"""Validate every example of the official example packages and tally the findings.

    python scripts/validate_examples.py [--cache .pkgcache] [--package VERSION]... [--all-types] [--json OUT] [--not-evaluated]

Fetches the examples package of each version that the version table (harness/definitions/versions.json,
column `examples`) names (default: every one, newest first) with `npm pack` into the cache
when missing (scripts/build_definitions.py does the fetching). Prints, per package, how many
resources validate with no error and every (rule, message pattern) that fires, with counts;
with --not-evaluated, also how often each invariant was reported as `invariant.not-evaluated`
(the list docs/reference-validator.md keeps, pinned by tests/validation/test_official_examples.py).
--all-types also validates the conformance resources (StructureDefinition, ValueSet, CapabilityStatement
and the others SKIP leaves out by default).
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from _version_table import version_table  # noqa: E402
from build_definitions import package_dir as ensure_package  # noqa: E402

from harness.validation.sources import validate_paths  # noqa: E402

#: version -> (examples package, its version): the version table's `examples` column
PACKAGES = {r.name: tuple(r.examples.rsplit("@", 1)) for r in version_table().rows() if r.examples}
# definitions and other conformance resources in the r4 / stu3 examples packages are not examples
# (STU3's DataElement-*.json are its element definitions, one per element)
SKIP = re.compile(r"^(StructureDefinition|ValueSet|CodeSystem|SearchParameter|OperationDefinition|"
                  r"CompartmentDefinition|ConceptMap|CapabilityStatement|ImplementationGuide|NamingSystem|"
                  r"StructureMap|GraphDefinition|MessageDefinition|DataElement)-")


def files(pkg: Path, all_types: bool = False) -> list[str]:
    return [str(f) for f in sorted(pkg.glob("*.json"))
            if f.name != "package.json" and not f.name.startswith(".")
            and (all_types or not SKIP.match(f.name))]


def _one(args: tuple[str, str]) -> list:
    path, version = args
    return list(validate_paths([path], version))


def _run(paths: list[str], version: str, timeout: float) -> tuple[list, list[str]]:
    """Both cores; a file whose validation runs past `timeout` seconds is recorded, not waited for."""
    results: list = []
    timed_out: list[str] = []
    pending = list(paths)
    while pending:
        with multiprocessing.Pool(2) as pool:
            jobs = [(p, pool.apply_async(_one, ((p, version),))) for p in pending]
            pending = []
            for i, (p, job) in enumerate(jobs):
                try:
                    results.extend(job.get(timeout=timeout))
                except multiprocessing.TimeoutError:
                    timed_out.append(p)
                    pending = [q for q, _ in jobs[i + 1:]]
                    pool.terminate()
                    break
    return results, timed_out


def not_evaluated(results) -> dict[str, int]:
    """invariant.not-evaluated per invariant key (the message starts with the key)."""
    counts: collections.Counter = collections.Counter()
    for r in results:
        for i in r.issues:
            if i.rule == "invariant.not-evaluated":
                counts[i.message.split(" ", 1)[0]] += 1
    return dict(sorted(counts.items()))


def scan(version: str, cache: Path, limit: int | None, timeout: float = 60.0, all_types: bool = False) -> dict:
    name, ver = PACKAGES[version]
    pkg = ensure_package(cache, name, ver)
    paths = files(pkg, all_types)[:limit]
    t0 = time.perf_counter()
    results, timed_out = _run(paths, version, timeout)
    elapsed = time.perf_counter() - t0
    tally: collections.Counter = collections.Counter()
    examples: dict = {}
    for r in results:
        for i in r.issues:
            if i.severity == "information":
                continue
            key = (i.severity, i.rule, re.sub(r"\d+", "N", i.message)[:110])
            tally[key] += 1
            examples.setdefault(key, f"{Path(r.source).name} {i.location}")
    clean = sum(1 for r in results if r.valid)
    return {"package": f"{name}@{ver}", "files": len(paths), "resources": len(results),
            "valid": clean, "invalid": len(results) - clean, "seconds": round(elapsed, 1),
            "timed_out": [Path(p).name for p in timed_out], "not_evaluated": not_evaluated(results),
            "findings": [{"severity": k[0], "rule": k[1], "message": k[2], "count": n, "example": examples[k]}
                         for k, n in tally.most_common()]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, default=ROOT / ".pkgcache")
    ap.add_argument("--package", action="append", choices=sorted(PACKAGES))
    ap.add_argument("--limit", type=int)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per file")
    ap.add_argument("--not-evaluated", action="store_true", help="print invariant.not-evaluated per invariant")
    ap.add_argument("--all-types", action="store_true", help="also the conformance resources SKIP leaves out")
    args = ap.parse_args()
    out = [scan(v, args.cache, args.limit, args.timeout, all_types=args.all_types)
           for v in (args.package or list(reversed(PACKAGES)))]
    for s in out:
        print(f"{s['package']}: {s['resources']} resources in {s['files']} files, {s['valid']} with no error, "
              f"{s['invalid']} with errors ({s['seconds']} s); not finished within the time limit: "
              f"{', '.join(s['timed_out']) or 'none'}")
        if args.not_evaluated:
            print("  invariant.not-evaluated by invariant: "
                  + (", ".join(f"{k} {n}" for k, n in s["not_evaluated"].items()) or "none"))
        for f in s["findings"][:60]:
            print(f"  {f['count']:>5} {f['severity']:<8} {f['rule']:<32} {f['message']}  [e.g. {f['example']}]")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
