"""Side by side, in one run and on the same corpus: bare orjson parsing, the structural peers
(fhir.resources, pydantic; fhirkit-rs, Rust, R4 only) and imaging-harness with every check on.

    pip install fhir.resources fhirkit-rs   # the peers are not dependencies of the harness
    python benchmarks/bench_peers.py [--seconds 3]

Corpus: the R4 ImagingStudy fixtures (for fhirkit-rs, R4 only) and the R5 ImagingSelection fixture.
A peer that is not installed is reported as such.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's harness, not another installed one

from harness.validation.jsonparse import parse_bytes  # noqa: E402
from harness.pipeline.validator import validate_value  # noqa: E402

R4 = [ROOT / "fixtures/valid/r4/imagingstudy-ct-abdomen.json"] + sorted((ROOT / "fixtures/datasets/r4").glob("study-*.json"))
R5 = [ROOT / "fixtures/valid/r5/imagingselection-mr-prostate-roi.json", ROOT / "fixtures/valid/r5/imagingstudy-ct-chest.json"]


def rate(fn, items: list[bytes], seconds: float) -> float:
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for b in items:
            fn(b)
        n += len(items)
    return n / (time.perf_counter() - t0)


def ours(version: str):
    def run(b: bytes):
        p = parse_bytes(b)
        return validate_value(p.value, "bench", version, p.duplicates)
    return run


def fhir_resources(module: str):
    try:
        from importlib import import_module
        mod = import_module(module)
    except ImportError:
        return None

    def run(b: bytes):
        data = orjson.loads(b)
        cls = mod.get_fhir_model_class(data["resourceType"])
        return cls.model_validate(data)
    return run


def fhirkit(threads: int | None = None):
    try:
        import fhirkit
    except ImportError:
        return None
    if threads:
        return lambda items: fhirkit.parse_many(items, threads=threads)
    return lambda b: fhirkit.validate(b)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    corpora = {"R4 ImagingStudy": ("r4", [p.read_bytes() for p in R4]),
               "R5 imaging": ("r5", [p.read_bytes() for p in R5])}
    for label, (version, items) in corpora.items():
        size = sum(map(len, items)) // len(items)
        print(f"\n{label}: {len(items)} resources, {size:,} bytes on average; resources/s, one core unless said")
        rows = [("orjson.loads (parse only)", orjson.loads),
                ("imaging-harness (all checks)", ours(version)),
                ("fhir.resources (structure)", fhir_resources("fhir.resources.R4B" if version == "r4" else "fhir.resources"))]
        if version == "r4":
            rows.append(("fhirkit-rs validate (structure)", fhirkit()))
        for name, fn in rows:
            if fn is None:
                print(f"  {name:<36} not installed")
                continue
            r = rate(fn, items, args.seconds)
            print(f"  {name:<36} {r:>10,.0f}")
        if version == "r4" and fhirkit(2):
            batch = items * 200
            t0 = time.perf_counter()
            fhirkit(2)(batch)
            print(f"  {'fhirkit-rs parse_many, 2 threads':<36} {len(batch) / (time.perf_counter() - t0):>10,.0f}")


if __name__ == "__main__":
    main()
