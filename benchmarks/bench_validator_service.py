"""The validator service under load (issue #11): N keep-alive connections post `$validate` bodies for a
bounded time; reports req/s, latency percentiles, 5xx, unexpected statuses, dropped connections, the
CPU the server and the load generator spend per request, and the server's config.

The service runs in its own process (`serve --validator-only`, started here unless --url is given).
The default generator (loadgen.py) is cheap: one asyncio process (uvloop when installed), a raw
HTTP/1.1 protocol per connection, one request in flight per connection (no pipelining), responses
read by Content-Length. `--client requests` is the older one (threads + `requests`: ~1 ms of CPU
per request of its own).

    python benchmarks/bench_validator_service.py [--clients 50] [--seconds 20] [--workers 1] [--valid-only]
        [--http auto|h11|httptools] [--loop auto|asyncio|uvloop] [--client asyncio|requests] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from loadgen import client_loop, run_asyncio, run_requests  # noqa: E402
VALID = (ROOT / "fixtures/valid/r5/imagingselection-mr-prostate-roi.json").read_bytes()
#: (name, body, expected status): the typical ImagingSelection, two invalid ones, three garbage bodies
MIX = [("valid", VALID, 200),
       ("invalid-binding", VALID.replace(b'"available"', b'"no-such-status"'), 200),
       ("invalid-structure", VALID.replace(b'"seriesUid"', b'"seriesUid": "1.2.01", "x"'), 200),
       ("not-json", b"{not json", 400), ("not-a-resource", b"[]", 400), ("truncated", VALID[: len(VALID) // 2], 400)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _family(pid: int) -> list[int]:
    """pid and its descendants (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            todo.extend(int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split())
        except OSError:
            pass
    return out


def connections_per_worker(pid: int | None, port: int) -> list[int]:
    """Established connections to `port` each worker process holds (Linux /proc), most first."""
    if pid is None:
        return []
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            for row in Path(table).read_text().splitlines()[1:]:
                cols = row.split()
                if cols[3] == "01" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(cols[9])
        except OSError:
            pass
    counts = []
    for p in _family(pid):
        try:
            links = [os.readlink(f"/proc/{p}/fd/{fd}") for fd in os.listdir(f"/proc/{p}/fd")]
        except OSError:
            continue
        n = sum(link.startswith("socket:[") and link[8:-1] in inodes for link in links)
        if n:
            counts.append(n)
    return sorted(counts, reverse=True)


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) of a process and its descendants; NaN where /proc is not there."""
    if pid is None:
        return float("nan")
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for p in _family(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def machine_busy() -> float:
    """Busy CPU seconds of the whole machine since boot, all cores (Linux /proc/stat)."""
    try:
        values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    except OSError:
        return float("nan")
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def wait_ready(url: str, proc: subprocess.Popen | None, timeout: float = 60) -> None:
    u = urlsplit(url)
    request = (f"POST {u.path} HTTP/1.1\r\nHost: {u.hostname}\r\nContent-Type: application/fhir+json\r\n"
               f"Content-Length: {len(VALID)}\r\nConnection: close\r\n\r\n").encode() + VALID
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((u.hostname, u.port), timeout=5) as s:
                s.sendall(request)
                if s.recv(12).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
            raise SystemExit("the validator service did not start")
        time.sleep(0.1)


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(int(q * len(sorted_values)), len(sorted_values) - 1)] if sorted_values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50, help="concurrent keep-alive connections")
    ap.add_argument("--seconds", type=float, default=20.0, help="measured time")
    ap.add_argument("--warmup", type=float, default=2.0, help="load before the measured time (not counted)")
    ap.add_argument("--workers", type=int, default=1, help="server worker processes (serve --workers)")
    ap.add_argument("--http", default="auto", help="server HTTP parser: auto, h11, httptools")
    ap.add_argument("--loop", default="auto", help="server event loop: auto, asyncio, uvloop")
    ap.add_argument("--valid-only", action="store_true", help="post only the valid typical ImagingSelection")
    ap.add_argument("--client", choices=("asyncio", "requests"), default="asyncio", help="load generator")
    ap.add_argument("--client-loop", choices=("auto", "asyncio", "uvloop"), default="auto",
                    help="the asyncio generator's event loop (auto: uvloop when installed)")
    ap.add_argument("--url", help="an already running service's $validate URL (no server is started)")
    ap.add_argument("--server-pid", type=int, help="with --url: that server's process id (for its CPU time)")
    ap.add_argument("--server-root", default=str(ROOT), help="checkout whose `serve` is measured (default: this one)")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args()
    bodies = MIX[:1] if args.valid_only else MIX
    proc, log = None, tempfile.TemporaryFile()
    config = "external server"
    if args.url:
        url = args.url
    else:
        port = free_port()
        url = f"http://127.0.0.1:{port}/$validate"
        cmd = [sys.executable, "-m", "harness", "serve", "--validator-only", "--port", str(port)]
        for flag, value, default in (("--workers", args.workers, 1), ("--http", args.http, "auto"),
                                     ("--loop", args.loop, "auto")):
            if value != default:  # only what differs, so an older `serve` can be measured too
                cmd += [flag, str(value)]
        proc = subprocess.Popen(cmd, env=dict(os.environ, PYTHONPATH=args.server_root), stdout=subprocess.DEVNULL,
                                stderr=log)
    try:
        wait_ready(url, proc)
        if proc is not None:
            log.seek(0)
            config = log.read().decode(errors="replace").strip().splitlines()[0]
        run = run_asyncio if args.client == "asyncio" else run_requests
        box: dict = {}

        pid = proc.pid if proc else args.server_pid

        def sample() -> tuple:
            return cpu_seconds(pid), time.process_time(), machine_busy(), time.perf_counter()

        def at_start() -> None:
            box["start"] = sample()
            box["spread"] = connections_per_worker(pid, urlsplit(url).port)

        timer = threading.Timer(args.warmup, at_start)
        timer.start()
        loop = client_loop(args.client_loop) if args.client == "asyncio" else "threads"
        stats = run(url, bodies, args.clients, args.seconds, args.warmup, loop)
        box["end"] = sample()  # a little after the measured time ends (in-flight requests finishing)
        timer.cancel()
    finally:
        if proc is not None:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=20)
            proc.kill()  # nothing when it has stopped
            proc.wait()
    elapsed = stats.ended - stats.started
    lat = sorted(stats.latencies)
    n = len(lat)
    (s0, c0, b0, t0), (s1, c1, b1, t1) = box.get("start", box["end"]), box["end"]
    server_cpu, client_cpu, wall = s1 - s0, c1 - c0, max(t1 - t0, 1e-9)
    figures = {
        "config": config, "client": f"{args.client} ({loop})", "clients": args.clients, "workers": args.workers,
        "bodies": "valid" if args.valid_only else "mix", "seconds": round(elapsed, 2), "requests": n,
        "req_per_s": round(n / elapsed, 1) if elapsed > 0 else 0.0,
        **{f"{k}_ms": round(percentile(lat, q) * 1000, 2) for k, q in (("p50", .5), ("p90", .9), ("p99", .99))},
        "max_ms": round(lat[-1] * 1000, 2) if lat else float("nan"),
        "5xx": stats.s5xx, "unexpected_status": stats.unexpected, "dropped": stats.dropped,
        "server_cpu_us_per_req": round(server_cpu / n * 1e6, 1) if n else float("nan"),
        "client_cpu_us_per_req": round(client_cpu / n * 1e6, 1) if n else float("nan"),
        "connections_per_worker": box.get("spread", []),
        "machine_cores_busy": round((b1 - b0) / wall, 2),
        "other_cores_busy": round((b1 - b0 - server_cpu - client_cpu) / wall, 2),
    }
    if args.json:
        print(json.dumps(figures))
        return
    f = figures
    print(f"server: {f['config']}\nload: {f['client']} client, {f['clients']} connections, {f['bodies']} bodies, "
          f"{f['seconds']:.1f} s measured after {args.warmup:g} s warm-up\n"
          f"{f['requests']:,} requests: {f['req_per_s']:,.0f} req/s; latency p50 {f['p50_ms']:.1f} ms, "
          f"p90 {f['p90_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, max {f['max_ms']:.1f} ms\n"
          f"5xx {f['5xx']}, unexpected status {f['unexpected_status']}, dropped connections {f['dropped']}; "
          f"connections per server process {f['connections_per_worker']}\n"
          f"CPU per request: server {f['server_cpu_us_per_req']:.0f} us, load generator "
          f"{f['client_cpu_us_per_req']:.0f} us; machine {f['machine_cores_busy']:.2f} of {os.cpu_count()} cores "
          f"busy ({f['other_cores_busy']:.2f} by other processes)")


if __name__ == "__main__":
    main()
