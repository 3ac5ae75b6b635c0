"""Throughput of the validator with every check on, beside bare JSON parsing, on the bundled
imaging fixtures (one process, one core).

    python benchmarks/bench_validate.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's harness, not another installed one

from harness.validation.jsonparse import parse_bytes  # noqa: E402
from harness.pipeline.validator import validate_value, validator  # noqa: E402

CORPUS = [("r5", "fixtures/valid/r5/imagingselection-mr-prostate-roi.json"),
          ("r5", "fixtures/valid/r5/imagingstudy-ct-chest.json"),
          ("r4", "fixtures/valid/r4/imagingstudy-ct-abdomen.json")]


def rate(fn, seconds: float) -> float:
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    print(f"{'resource':<45} {'bytes':>6} {'json.loads/s':>13} {'strict parse/s':>15} {'validate/s':>11} "
          f"{'all-fhirpathpy/s':>17}")
    for version, rel in CORPUS:
        data = (ROOT / rel).read_bytes()
        parsed = parse_bytes(data)
        validate_value(parsed.value, rel, version, parsed.duplicates)  # compile once
        plain = rate(lambda: json.loads(data), args.seconds)
        strict = rate(lambda: parse_bytes(data), args.seconds)
        full = rate(lambda: (lambda p: validate_value(p.value, rel, version, p.duplicates))(parse_bytes(data)),
                    args.seconds)
        inv = validator(version).invariants
        inv.native = False  # the same run with the hot datatype invariants in fhirpathpy, for comparison
        slow = rate(lambda: (lambda p: validate_value(p.value, rel, version, p.duplicates))(parse_bytes(data)),
                    args.seconds)
        inv.native = True
        print(f"{Path(rel).name:<45} {len(data):>6} {plain:>13,.0f} {strict:>15,.0f} {full:>11,.0f} {slow:>17,.0f}")


if __name__ == "__main__":
    main()
