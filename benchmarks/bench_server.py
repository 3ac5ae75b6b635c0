"""Reference server throughput over loopback HTTP with one keep-alive client (requests.Session).

python benchmarks/bench_server.py  →  requests per second for create, read, search.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.server.embedded import running  # noqa: E402

HEADERS = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}


def rate(n: int, fn) -> float:
    t = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - t)


def main() -> None:
    study = json.loads((ROOT / "fixtures/valid/r5/imagingstudy-ct-chest.json").read_text())
    patient = json.loads((ROOT / "fixtures/valid/r5/patient-erika.json").read_text())
    t = time.perf_counter()
    with running("r5") as base:
        started = time.perf_counter() - t
        s = requests.Session()
        s.get(f"{base}/metadata", timeout=10)
        ids = []
        create_p = rate(200, lambda i: ids.append(s.post(f"{base}/Patient", json=patient, headers=HEADERS,
                                                          timeout=10).json()["id"]))
        create_s = rate(200, lambda i: s.post(f"{base}/ImagingStudy", json=study, headers=HEADERS, timeout=10))
        read = rate(500, lambda i: s.get(f"{base}/Patient/{ids[i % len(ids)]}", timeout=10))
        search = rate(300, lambda i: s.get(f"{base}/ImagingStudy?modality=CT&started=ge2024&_count=10",
                                           timeout=10))
        chained = rate(200, lambda i: s.get(f"{base}/ImagingStudy?subject:Patient.family=muster&_count=10",
                                            timeout=10))
    print(f"start {started * 1000:.0f} ms (cold, includes loading the parameter catalog)")
    print(f"create Patient {create_p:,.0f}/s, create ImagingStudy {create_s:,.0f}/s (validation included)")
    print(f"read {read:,.0f}/s, search token+date (200 studies) {search:,.0f}/s, chained search {chained:,.0f}/s")


if __name__ == "__main__":
    main()
