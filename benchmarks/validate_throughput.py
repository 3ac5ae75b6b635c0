"""Validation throughput on a seeded, generated corpus, beside the peers, in one run (issue #11).

    pip install fhir.resources fhirkit-rs        # benchmark extras, not runtime dependencies
    python benchmarks/validate_throughput.py [--n 2000] [--seed 11] [--seconds 2 --rounds 3 | --passes P] [--json]
    python benchmarks/validate_throughput.py --check     # generate and validate the corpus only

Two corpora of N resources each (benchmarks/corpus.py): R4 ImagingStudy, and R5 ImagingStudy with
ImagingSelections of their series (about half each). The corpus is validated once at start-up: every
resource must have no error with this validator (a loud warning otherwise) and be accepted by each
installed peer. Rows, resources/s on one core unless said, every row starting from the JSON bytes:
- orjson.loads only;
- imaging-harness: parse_bytes + validate_value, every check on (as bench_peers.py), and for R5 the
  same with the corpus as resolution context (the single-series rule resolves each selection's study);
- imaging-harness with its fast path off: the full structural walk, which a resource with any
  structural finding takes (every resource here is valid, so the row above is the fast path);
- imaging-harness on both cores: the corpus as an NDJSON file through validate_paths(workers=1|2);
- fhir.resources (pydantic; R4B models for the R4 corpus) model_validate on the orjson-parsed dict;
- fhirkit-rs validate (R4 only) and parse_many on 2 threads;
- jsonschema (Draft 6, as the schema declares) on the official fhir.schema.json, validating against
  {"$ref": "#/definitions/<resourceType>"} with the whole schema in the registry (the top-level
  oneOf over every resource type is far slower). The schema comes from the packages in .pkgcache/
  (or $HARNESS_PKGCACHE, --pkgcache): hl7.fhir.r5.core@5.0.0 and, for R4, hl7.fhir.r4b.core@4.3.0
  (hl7.fhir.r4.examples@4.0.1 has no fhir.schema.json; R4B ImagingStudy is R4's).
A peer that is not installed (or a schema not found) is reported as such, never a crash.

The machine may be shared: the rows are measured interleaved (--rounds slices of --seconds/--rounds
each, round-robin over the rows, continuing through the corpus; every row covers the corpus at least
once), so each row sees the same interference and the ratios hold. Beside the wall rate, "cpu/wall"
shows how much of a core (two for the 2-worker rows) the row had, and "per CPU-s" is resources per
CPU-second of this process and its workers.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import orjson  # noqa: E402

from corpus import r4_studies, r5_imaging  # noqa: E402
from harness.imaging.context import Index  # noqa: E402
from harness.pipeline import ndjson  # noqa: E402
from harness import compiled  # noqa: E402
from harness.validation.jsonparse import parse_bytes  # noqa: E402
from harness.pipeline.sources import validate_paths  # noqa: E402
from harness.pipeline.validator import validate_value, validator  # noqa: E402

SCHEMAS = {"r4": "hl7.fhir.r4b.core-4.3.0", "r5": "hl7.fhir.r5.core-5.0.0"}


class Row:
    """One measured row: fn(resource bytes) per resource ("item"), or fn(all items) per pass ("batch").
    Time, CPU and count add up over its slices; accepts(result) counts rejections in the first pass
    (a batch row's verdict() gives its own count)."""

    def __init__(self, name: str, fn, kind: str = "item", accepts=None, verdict=None):
        self.name, self.fn, self.kind, self.accepts, self.verdict = name, fn, kind, accepts, verdict
        self.cursor, self.wall, self.cpu, self.slices = 0, 0.0, 0.0, []
        self.rejected = 0 if accepts is not None else None

    def run(self, items: list, seconds: float = 0.0, until: int | None = None) -> None:
        """About `seconds` (at least one resource or pass), or until `until` resources are done."""
        n, start = len(items), self.cursor
        c0, t0 = _cpu(), time.perf_counter()
        while True:
            if self.kind == "batch":
                self.fn(items)
                self.cursor += n
                if self.verdict is not None and self.rejected is None:
                    self.rejected = self.verdict()
            elif self.accepts is not None and self.cursor < n:
                try:
                    self.rejected += not self.accepts(self.fn(items[self.cursor]))
                except Exception:
                    self.rejected += 1
                self.cursor += 1
            else:
                self.fn(items[self.cursor % n])
                self.cursor += 1
            if (self.cursor >= until) if until is not None else (time.perf_counter() - t0 >= seconds):
                break
        wall = time.perf_counter() - t0
        self.wall += wall
        self.cpu += _cpu() - c0
        self.slices.append((self.cursor - start) / wall)

    def result(self) -> dict:
        return {"rate": self.cursor / self.wall, "cpu_rate": self.cursor / self.cpu if self.cpu else None,
                "cpu": self.cpu / self.wall, "resources": self.cursor, "rejected": self.rejected,
                "slices": [round(x, 1) for x in self.slices]}


def measure(rows: list[Row], items: list, seconds: float, rounds: int, passes: int | None) -> None:
    """Interleaved: round-robin slices over the rows, then each row finishes its first pass."""
    n = len(items)
    for row in rows:
        if row.kind == "item":
            row.fn(items[0])  # warm caches (compiled definitions, schema references); not counted
    if passes:
        for p in range(1, passes + 1):
            for row in rows:
                row.run(items, until=p * n)
        return
    for _ in range(rounds):
        for row in rows:
            row.run(items, seconds / rounds)
    for row in rows:
        if row.cursor < n:
            row.run(items, until=n)


def _cpu() -> float:
    t = os.times()  # children: the NDJSON pool's workers, once reaped
    return time.process_time() + t.children_user + t.children_system


def ours(version: str, resolver=None):
    def run(b: bytes):
        p = parse_bytes(b)
        return validate_value(p.value, "bench", version, p.duplicates, resolver=resolver)
    return run


def ours_full_walk(version: str):
    """The harness with its fast path off: every resource takes the full structural walk, which a resource
    with a structural finding takes after the fast path gives up (None when the harness has no fast path)."""
    v = validator(version)
    if getattr(v, "fastpath", None) is None:
        return None
    run, fast = ours(version), v.fastpath

    def full(b: bytes):
        v.fastpath = None
        try:
            return run(b)
        finally:
            v.fastpath = fast
    return full


def fhir_resources(version: str):
    try:
        from importlib import import_module
        mod = import_module("fhir.resources.R4B" if version == "r4" else "fhir.resources")
    except ImportError:
        return None

    def run(b: bytes):
        data = orjson.loads(b)
        return mod.get_fhir_model_class(data["resourceType"]).model_validate(data)
    return run


def fhirkit_validate():
    try:
        import fhirkit
    except ImportError:
        return None
    return fhirkit.validate


def fhirkit_many(threads: int):
    try:
        import fhirkit
    except ImportError:
        return None
    return lambda items: fhirkit.parse_many(items, threads=threads)


def json_schema(version: str, types: set[str], cache: Path):
    """(fn, None) validating against the type's definition in the official schema, or (None, why)."""
    try:
        import jsonschema
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT6
    except ImportError:
        return None, "not installed (jsonschema, referencing)"
    path = cache / SCHEMAS[version] / "package" / "openapi" / "fhir.schema.json"
    if not path.exists():
        return None, (f"skipped: {path} not found (python scripts/build_definitions.py fetches the core packages "
                      "into .pkgcache/, or set HARNESS_PKGCACHE)")
    full = orjson.loads(path.read_bytes())
    uri = "urn:bench:fhir.schema.json"
    registry = Registry().with_resource(uri, Resource.from_contents(full, default_specification=DRAFT6))
    validators = {t: jsonschema.Draft6Validator({"$ref": f"{uri}#/definitions/{t}"}, registry=registry)
                  for t in types}

    def run(b: bytes):
        data = orjson.loads(b)
        return list(validators[data["resourceType"]].iter_errors(data))
    return run, None


def check(label: str, version: str, items: list[bytes], resolver=None) -> dict:
    """Validate the corpus once with the harness (the corpus's studies as context); a loud warning
    for any error. The peers' verdicts are counted in their first measured pass."""
    bad, issues, run = 0, collections.Counter(), ours(version, resolver)
    for b in items:
        r = run(b)
        errors = [i for i in r.issues if i.severity == "error"]
        bad += bool(errors)
        issues.update(f"{i.severity} {i.rule}" for i in r.issues)
    out = {"harness_with_errors": bad, "harness_issues": dict(issues)}
    print(f"\n{label}: imaging-harness (corpus as context) finds errors in {bad} of {len(items)}; issues: "
          + (", ".join(f"{k} ×{v}" for k, v in issues.most_common()) or "none"))
    if bad:
        print("!" * 100 + f"\n!!! WARNING: {bad} generated resources have errors: the corpus is not valid, "
              "fix benchmarks/corpus.py\n" + "!" * 100)
    return out


def ndjson_row(version: str, items: list[bytes], workers: int, tmp: Path) -> Row:
    """The corpus as one NDJSON file through validate_paths, as `imaging-harness validate` reads it."""
    path = tmp / f"corpus-{version}.ndjson"
    if not path.exists():
        path.write_bytes(b"\n".join(items) + b"\n")
    errors = collections.Counter()

    def run(_items):
        errors.clear()
        for r in validate_paths([str(path)], version, workers=workers):
            errors[any(i.severity == "error" for i in r.issues)] += 1
    return Row(f"imaging-harness NDJSON, {workers} worker{'s' * (workers > 1)}", run, "batch",
               verdict=lambda: errors[True])


def no_errors(result) -> bool:
    return not any(i.severity == "error" for i in result.issues)


def rows_for(version: str, values: list[dict], cache: Path, context) -> list:
    """A Row for every measured row of a corpus, or (name, why) for one that cannot run."""
    schema_fn, schema_why = json_schema(version, {v["resourceType"] for v in values}, cache)
    fk_ok = lambda issues: not [i for i in issues if i.severity == "error"]  # noqa: E731
    candidates = [("orjson.loads (parse only)", orjson.loads, "item", None, None),
                  ("imaging-harness (all checks)", ours(version), "item", no_errors, None)]
    if version == "r5":
        candidates.append(("imaging-harness, corpus as context", ours(version, context), "item", no_errors, None))
    candidates.append(("imaging-harness, fast path off (full walk)", ours_full_walk(version), "item", no_errors,
                       "no fast path in this harness"))
    candidates += [("fhir.resources (structure)", fhir_resources(version), "item", lambda r: True, "not installed"),
                   (f"jsonschema {'R4B' if version == 'r4' else 'R5'} fhir.schema.json", schema_fn, "item",
                    lambda e: not e, schema_why)]
    if version == "r4":
        candidates += [("fhirkit-rs validate (structure)", fhirkit_validate(), "item", fk_ok, "not installed"),
                       ("fhirkit-rs parse_many, 2 threads", fhirkit_many(2), "batch", None, "not installed")]
    return [Row(name, fn, kind, accepts) if fn is not None else (name, why)
            for name, fn, kind, accepts, why in candidates]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="resources per corpus")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--seconds", type=float, default=2.0, help="time per row, split into --rounds slices")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved slices per row")
    ap.add_argument("--passes", type=int, default=None, help="a fixed number of passes instead of --seconds")
    ap.add_argument("--json", action="store_true", help="also print the results as one JSON object")
    ap.add_argument("--check", action="store_true",
                    help="generate the corpus, validate it once with the harness and every peer; exit 1 on any error")
    ap.add_argument("--corpus", choices=["r4", "r5", "both"], default="both")
    ap.add_argument("--pkgcache", type=Path, default=Path(os.environ.get("HARNESS_PKGCACHE", ROOT / ".pkgcache")))
    args = ap.parse_args()
    if args.check:
        args.passes = 1

    t0 = time.perf_counter()
    corpora = {}
    if args.corpus in ("r4", "both"):
        corpora["R4 ImagingStudy"] = ("r4", r4_studies(args.n, args.seed))
    if args.corpus in ("r5", "both"):
        corpora["R5 ImagingStudy + ImagingSelection"] = ("r5", r5_imaging(args.n, args.seed))
    per = (f"a fixed {args.passes} pass(es)" if args.passes else
           f"{args.seconds:g} s in {args.rounds} interleaved slices (at least one pass)")
    print(f"corpus: seed {args.seed}, {args.n} resources each, generated in {time.perf_counter() - t0:.1f} s; "
          f"{per} per measurement; {len(os.sched_getaffinity(0))} cores; load average {os.getloadavg()[0]:.2f}")
    print(f"imaging-harness modules: {compiled.summary()} (IMAGING_HARNESS_PURE=1: the source only)")
    results: dict = {"n": args.n, "seed": args.seed, "corpora": {}, "modules": compiled.summary()}
    any_bad = False
    with tempfile.TemporaryDirectory() as tmp:
        for label, (version, values) in corpora.items():
            items = [orjson.dumps(v) for v in values]
            context = Index.of("the corpus", [v for v in values if v["resourceType"] == "ImagingStudy"])
            rows = rows_for(version, values, args.pkgcache, context)
            entry = {"version": version, "resources": len(items), "bytes_avg": sum(map(len, items)) // len(items),
                     "types": dict(collections.Counter(v["resourceType"] for v in values)), "rows": {}}
            entry["check"] = check(label, version, items, context)
            any_bad |= entry["check"]["harness_with_errors"] > 0
            results["corpora"][label] = entry
            if not args.check:
                if len(items) < 2 * ndjson.CHUNK_LINES:
                    print(f"  (NDJSON: {len(items)} lines are one chunk of at most {ndjson.CHUNK_LINES} lines; "
                          f"two workers need --n {2 * ndjson.CHUNK_LINES} or more to overlap)")
                ndjson.PARALLEL_MIN_BYTES = 0  # the pool whatever the file size, for the 2-worker figure
                rows += [ndjson_row(version, items, w, Path(tmp)) for w in (1, 2)]
            measured = [r for r in rows if isinstance(r, Row)]
            measure(measured, items, args.seconds, args.rounds, args.passes)
            print(f"{label}: {len(items)} resources ({', '.join(f'{k} {v}' for k, v in entry['types'].items())}), "
                  f"{entry['bytes_avg']:,} bytes on average; one core unless said")
            print(f"  {'':<42} {'resources/s':>11} {'cpu/wall':>9} {'per CPU-s':>10}  accepted")
            for row in rows:
                if not isinstance(row, Row):
                    print(f"  {row[0]:<42} {row[1]}")
                    entry["rows"][row[0]] = {"absent": row[1]}
                    continue
                m = entry["rows"][row.name] = row.result()
                ok = "" if m["rejected"] is None else f"{len(items) - m['rejected']}/{len(items)}"
                warn = "  <-- WARNING: rejects generated resources" if m["rejected"] else ""
                cpu_rate = f"{m['cpu_rate']:>10,.0f}" if m["cpu_rate"] else f"{'-':>10}"
                print(f"  {row.name:<42} {m['rate']:>11,.0f} {m['cpu']:>8.0%} {cpu_rate}  {ok}{warn}")
            if args.check:
                bad = {k: v["rejected"] for k, v in entry["rows"].items() if v.get("rejected")}
                any_bad |= bool(bad)
                continue
            entry["ratios"] = ratios({k: v["rate"] for k, v in entry["rows"].items() if "rate" in v})
            entry["ratios_cpu"] = ratios({k: v["cpu_rate"] for k, v in entry["rows"].items() if v.get("cpu_rate")})
            print(f"  {'ratio':<60} {'wall':>7} {'CPU time':>9}")
            for k, v in entry["ratios"].items():
                c = entry["ratios_cpu"].get(k)
                print(f"  {k:<60} {v:>6.2f}x " + (f"{c:>8.2f}x" if c and "workers" not in k and "threads" not in k else ""))
    print(f"load average at the end {os.getloadavg()[0]:.2f}. cpu/wall well under 100% on a one-core row (200% on a "
          "two-worker row) means the machine was shared and that wall figure is low; 'per CPU-s' (resources per "
          "CPU-second of this process and its workers) is the contention-robust figure for one-core rows")
    if any_bad:
        print("\n!!! WARNING: the generated corpus has resources with errors or rejected by a peer (see above): "
              "figures are not for a valid corpus")
    if args.json:
        print(json.dumps(results, indent=1))
    if args.check:
        sys.exit(1 if any_bad else 0)


def ratios(rates: dict) -> dict:
    h = rates.get("imaging-harness (all checks)")
    out = {}
    pairs = [("harness / fhir.resources", h, rates.get("fhir.resources (structure)")),
             ("harness / fhirkit-rs validate", h, rates.get("fhirkit-rs validate (structure)")),
             ("harness / jsonschema", h, next((v for k, v in rates.items() if k.startswith("jsonschema")), None)),
             ("orjson / harness (harness within Nx of bare parsing)", rates.get("orjson.loads (parse only)"), h),
             ("harness full walk / fhir.resources", rates.get("imaging-harness, fast path off (full walk)"),
              rates.get("fhir.resources (structure)")),
             ("harness NDJSON 2 workers / 1 worker", rates.get("imaging-harness NDJSON, 2 workers"),
              rates.get("imaging-harness NDJSON, 1 worker")),
             ("harness NDJSON 2 workers / fhir.resources", rates.get("imaging-harness NDJSON, 2 workers"),
              rates.get("fhir.resources (structure)")),
             ("harness NDJSON 2 workers / fhirkit-rs parse_many 2 threads",
              rates.get("imaging-harness NDJSON, 2 workers"), rates.get("fhirkit-rs parse_many, 2 threads"))]
    for name, a, b in pairs:
        if a and b:
            out[name] = a / b
    return out


if __name__ == "__main__":
    main()
