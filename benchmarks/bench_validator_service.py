"""The validator service under load: N concurrent clients post a mix of valid, invalid and garbage
bodies to `$validate` for a bounded time; reports throughput, latency percentiles, 5xx answers and
dropped connections. The service runs in its own process (as `imaging-harness serve
--validator-only` would), the clients are threads with keep-alive sessions.

    python benchmarks/bench_validator_service.py [--clients 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VALID = (ROOT / "fixtures/valid/r5/imagingselection-mr-prostate-roi.json").read_bytes()
BODIES = [VALID, VALID.replace(b'"available"', b'"no-such-status"'),
          VALID.replace(b'"seriesUid"', b'"seriesUid": "1.2.01", "x"'), b"{not json", b"[]", VALID[: len(VALID) // 2]]


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen([sys.executable, "-m", "harness", "serve", "--validator-only", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/$validate"
    try:
        for _ in range(100):
            try:
                requests.post(url, data=VALID, timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        latencies: list[float] = []
        counts = {"5xx": 0, "dropped": 0, "ok": 0}
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def client(n: int) -> None:
            s = requests.Session()
            i = n
            while time.monotonic() < stop:
                body = BODIES[i % len(BODIES)]
                i += 1
                t0 = time.perf_counter()
                try:
                    r = s.post(url, data=body, headers={"Content-Type": "application/fhir+json"}, timeout=30)
                    dt = time.perf_counter() - t0
                    with lock:
                        latencies.append(dt)
                        counts["5xx" if r.status_code >= 500 else "ok"] += 1
                except requests.RequestException:
                    with lock:
                        counts["dropped"] += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        q = statistics.quantiles(latencies, n=100) if len(latencies) > 100 else [float("nan")] * 99
        print(f"clients {args.clients}, {elapsed:.1f} s, {len(latencies):,} requests: "
              f"{len(latencies) / elapsed:,.0f} req/s; latency p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms; "
              f"5xx {counts['5xx']}, dropped {counts['dropped']}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
