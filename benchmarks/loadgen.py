"""The load generator of bench_validator_service.py: N keep-alive connections posting request bodies
for a bounded time, one request in flight per connection.

`run_asyncio`: one asyncio process (uvloop when installed), a raw HTTP/1.1 protocol per connection,
responses read by Content-Length. `run_requests`: threads and `requests` (about 1 ms of CPU per
request of its own). Both return a Stats of latencies, statuses and dropped connections.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import threading
import time
from urllib.parse import urlsplit

CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.I)


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.s5xx = self.unexpected = self.dropped = 0
        self.started = self.ended = 0.0


# --- the asyncio raw-socket generator --------------------------------------------------------------

class _Conn(asyncio.Protocol):
    """One keep-alive connection: send a request, read the whole response, send the next."""

    def __init__(self, gen: "_Generator", n: int) -> None:
        self.gen, self.n, self.transport = gen, n, None
        self.buf, self.head, self.need, self.t0, self.expect, self.busy = bytearray(), 0, -1, 0.0, 0, False

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.send()

    def send(self) -> None:
        if self.gen.stopping:
            self.transport.close()
            return
        request, self.expect = self.gen.requests[self.n % len(self.gen.requests)]
        self.n += 1
        self.buf.clear()
        self.need, self.busy = -1, True
        self.t0 = time.perf_counter()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.need < 0:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            m = CONTENT_LENGTH.search(self.buf, 0, end + 2)
            if m is None:  # no Content-Length (chunked or close-delimited): not what the service sends
                self.gen.stats.dropped += 1
                self.busy = False
                self.transport.close()
                return
            self.head, self.need = end, end + 4 + int(m.group(1))
        if len(self.buf) < self.need:
            return
        now = time.perf_counter()
        self.busy = False
        status = int(self.buf[9:12])
        self.gen.done(now - self.t0, now, status, self.expect)
        if b"\r\nconnection: close" in bytes(self.buf[: self.head]).lower():
            self.transport.close()
        else:
            self.send()

    def connection_lost(self, exc) -> None:
        if self.busy:
            self.gen.stats.dropped += 1
            self.busy = False
        self.gen.lost(self)


class _Generator:
    def __init__(self, host: str, port: int, path: str, bodies: list, stats: Stats, warmup: float) -> None:
        self.host, self.port, self.stats = host, port, stats
        head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/fhir+json\r\n"
                "Accept: application/fhir+json\r\n").encode()
        self.requests = [(head + b"Content-Length: %d\r\n\r\n" % len(body) + body, expect)
                         for _, body, expect in bodies]
        self.stopping, self.open, self.warmup = False, 0, warmup
        self.measure_from = self.measure_to = 0.0
        self.closed = asyncio.Event()

    def done(self, latency: float, now: float, status: int, expect: int) -> None:
        if self.measure_from <= now <= self.measure_to:
            self.stats.latencies.append(latency)
            if status >= 500:
                self.stats.s5xx += 1
            elif status != expect:
                self.stats.unexpected += 1

    def lost(self, conn: _Conn) -> None:
        self.open -= 1
        if not self.stopping:  # the server closed it: open another and go on
            asyncio.get_running_loop().create_task(self.connect(conn.n))
        elif self.open == 0:
            self.closed.set()

    async def connect(self, n: int) -> None:
        loop = asyncio.get_running_loop()
        self.open += 1
        try:
            await loop.create_connection(lambda: _Conn(self, n), self.host, self.port)
        except OSError:
            self.stats.dropped += 1
            self.open -= 1
            await asyncio.sleep(0.05)
            if not self.stopping:
                loop.create_task(self.connect(n))
            elif self.open == 0:
                self.closed.set()

    async def run(self, clients: int, seconds: float) -> None:
        start = time.perf_counter()
        self.measure_from, self.measure_to = start + self.warmup, start + self.warmup + seconds
        for n in range(clients):
            await self.connect(n)
        await asyncio.sleep(self.measure_from - time.perf_counter())
        self.stats.started = time.perf_counter()
        await asyncio.sleep(max(self.measure_to - time.perf_counter(), 0))
        self.stats.ended = time.perf_counter()
        self.stopping = True
        try:  # let the requests in flight finish (a connection that never answers counts as dropped)
            await asyncio.wait_for(self.closed.wait(), 30)
        except asyncio.TimeoutError:
            pass


def client_loop(choice: str) -> str:
    """auto: uvloop when installed (half the generator's CPU per request), else asyncio."""
    if choice != "auto":
        return choice
    return "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"


def run_asyncio(url: str, bodies: list, clients: int, seconds: float, warmup: float, loop: str) -> Stats:
    u = urlsplit(url)
    stats = Stats()
    gen = _Generator(u.hostname, u.port, u.path, bodies, stats, warmup)
    factory = asyncio.new_event_loop
    if loop == "uvloop":
        import uvloop
        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(gen.run(clients, seconds))
    return stats


# --- the older generator: threads with `requests` sessions ---------------------------------------------

def run_requests(url: str, bodies: list, clients: int, seconds: float, warmup: float, loop: str) -> Stats:
    import requests

    stats, lock = Stats(), threading.Lock()
    start = time.perf_counter()
    stats.started, stats.ended = start + warmup, start + warmup + seconds

    def client(n: int) -> None:
        s = requests.Session()
        while time.perf_counter() < stats.ended:
            _, body, expect = bodies[n % len(bodies)]
            n += 1
            t0 = time.perf_counter()
            try:
                r = s.post(url, data=body, headers={"Content-Type": "application/fhir+json"}, timeout=30)
            except requests.RequestException:
                with lock:
                    stats.dropped += 1
                continue
            now = time.perf_counter()
            if stats.started <= now <= stats.ended:
                with lock:
                    stats.latencies.append(now - t0)
                    stats.s5xx += r.status_code >= 500
                    stats.unexpected += r.status_code < 500 and r.status_code != expect

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stats


# --- the server process and CPU accounting ---------------------------------------------------------
