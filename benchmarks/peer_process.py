"""One peer as a whole process over an NDJSON file: read it, parse or validate every line, print a
one-line JSON summary ({"peer", "resources", "rejected", "first_error"}). Run by
bench_whole_process.py, which times the process from exec to exit (interpreter start and imports
included, as a user meets them).

    python benchmarks/peer_process.py orjson FILE
    python benchmarks/peer_process.py fhir.resources FILE --fhir-version r4|r5
    python benchmarks/peer_process.py fhirkit-rs FILE [--threads 2]

- orjson: orjson.loads per line (parsing only: the floor any Python validator stands on).
- fhir.resources (pydantic): the model class of the line's resourceType from the version's module
  (R5: fhir.resources; R4: fhir.resources.R4B, whose ImagingStudy is R4's), model_validate_json on
  the line's bytes (pydantic parses the JSON itself: faster than orjson + model_validate).
- fhirkit-rs (Rust, R4 only): fhirkit.parse_many over all lines on --threads threads (a line with an
  error-severity issue counts as rejected).
Exit 0 when it ran (rejections are counted, not failures), 3 when the peer is not installed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

RESOURCE_TYPE = re.compile(rb'"resourceType"\s*:\s*"([A-Za-z]+)"')
MODULES = {"r5": "fhir.resources", "r4": "fhir.resources.R4B"}


def run_orjson(lines: list[bytes], _args) -> tuple[int, str | None]:
    import orjson
    loads = orjson.loads
    for line in lines:
        loads(line)
    return 0, None


def run_fhir_resources(lines: list[bytes], args) -> tuple[int, str | None]:
    from importlib import import_module
    mod = import_module(MODULES[args.fhir_version])
    classes: dict[bytes, type] = {}
    rejected, first = 0, None
    for line in lines:
        m = RESOURCE_TYPE.search(line)
        name = m.group(1) if m else b"?"
        cls = classes.get(name)
        if cls is None:
            cls = classes[name] = mod.get_fhir_model_class(name.decode())
        try:
            cls.model_validate_json(line)
        except ValueError as e:  # pydantic.ValidationError is a ValueError
            rejected += 1
            first = first or str(e)[:300]
    return rejected, first


def run_fhirkit(lines: list[bytes], args) -> tuple[int, str | None]:
    import fhirkit
    results = fhirkit.parse_many(lines, threads=args.threads)  # a Resource per line, issues listed
    bad = [r for r in results if any(i.severity == "error" for i in r.issues)]
    return len(bad), (f"{bad[0].id}: {bad[0].issues[0]}"[:300] if bad else None)


PEERS = {"orjson": ("orjson", run_orjson), "fhir.resources": ("fhir.resources", run_fhir_resources),
         "fhirkit-rs": ("fhirkit", run_fhirkit)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("peer", choices=sorted(PEERS))
    ap.add_argument("file")
    ap.add_argument("--fhir-version", choices=sorted(MODULES), default="r5")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    module, fn = PEERS[args.peer]
    try:
        __import__(module)
    except ImportError:
        print(json.dumps({"peer": args.peer, "installed": False}))
        return 3
    with open(args.file, "rb") as f:
        lines = [line for line in f.read().split(b"\n") if line.strip()]
    rejected, first = fn(lines, args)
    print(json.dumps({"peer": args.peer, "installed": True, "resources": len(lines), "rejected": rejected,
                      "first_error": first}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
