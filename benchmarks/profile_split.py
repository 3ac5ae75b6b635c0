"""Where the time of a whole `imaging-harness validate` process goes, from a py-spy profile.

    py-spy record --native -r 250 -f raw -o prof.txt -- imaging-harness validate FILE.ndjson \
        --fhir-version r5 --format json -o out.json --workers 1
    python benchmarks/profile_split.py prof.txt [--resources 60000] [--wall SECONDS]

Each sample (a folded stack) goes to the first category whose test matches, most specific first:
report writing (the writer's own frames, not the results it pulls), the study index (all that runs
before the file's own pass), JSON parsing, the structural fast path, the full walk, invariants,
imaging rules, issue objects, reading the NDJSON file, compiling checkers, start-up (no `validate`
frame yet: interpreter, imports, definitions), other. With --resources and --wall the shares are
also given as µs per resource of the whole process's wall time.
"""

from __future__ import annotations

import argparse
import collections

# (category, substrings of a frame, any of which places the sample there), in order
CATEGORIES = [
    ("compiling checkers / loading definitions", ("harness/validation/compiler.py", "harness/validation/codegen.py",
                                                  "harness/definitions/", "harness/validation/catalog.py")),
    ("JSON parsing (orjson + duplicate-key proof)", ("harness/validation/jsonparse.py",)),
    ("structure: fast path (generated checkers)", ("harness/validation/fastpath.py", "harness/validation/primitives.py")),
    ("structure: full walk", ("harness/validation/structure.py", "harness/validation/terminology.py")),
    ("invariants (dom-*, narrative, FHIRPath)", ("harness/validation/invariants.py", "harness/validation/native.py",
                                                 "harness/validation/narrative.py", "harness/validation/fhirpath.py")),
    ("imaging rules", ("harness/imaging/",)),
    ("issue objects and results", ("harness/validation/issues.py", "harness/validation/validator.py",
                                   "results_for_value (harness/")),
    ("reading and splitting the NDJSON file", ("harness/validation/ndjson.py", "harness/validation/sources.py")),
]


REPORT = "JSON report: Result.as_dict, orjson in batches, the tally"
PULLS = ("validate_paths", "validate.<locals>.observed")  # the results the writer pulls (the CLI's tally)
STUDY_INDEX = "study index: the byte scan, then ImagingStudy/Endpoint lines parsed and indexed"


def category(frames: list[str]) -> str:
    if not any(f.startswith("validate (harness/cli.py") for f in frames):
        return "start-up: interpreter, imports, CLI (before `validate` runs)"
    for i, f in enumerate(frames):  # the report writer's own work, not the results it pulls
        if f.startswith("stream (harness/reports/") and not frames[i + 1:i + 2] == [] and \
                not frames[i + 1].startswith(PULLS):
            return REPORT
        if f.startswith("stream (harness/reports/") and i == len(frames) - 1:
            return REPORT
    if not any(f.startswith("validate_file (harness/") for f in frames):  # before the file's own pass
        return STUDY_INDEX
    for name, needles in CATEGORIES:
        if any(needle in f for needle in needles for f in frames):
            return name
    return "other (CLI glue, garbage collection, …)"


def split(path: str) -> tuple[collections.Counter, int]:
    counts: collections.Counter = collections.Counter()
    total = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            if not n.isdigit():
                continue
            counts[category(stack.split(";"))] += int(n)
            total += int(n)
    return counts, total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("profile")
    ap.add_argument("--resources", type=int)
    ap.add_argument("--wall", type=float, help="the process's wall time (s), for µs per resource")
    args = ap.parse_args()
    counts, total = split(args.profile)
    for name, n in counts.most_common():
        per = f"  {args.wall * 1e6 * n / total / args.resources:6.1f} µs/resource" if args.resources and args.wall else ""
        print(f"{n / total:6.1%}{per}  {name}")
    print(f"{total} samples")


if __name__ == "__main__":
    main()
