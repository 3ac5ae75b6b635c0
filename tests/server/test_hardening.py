"""Issue #19 item 8: stalled requests, the Host check, the page's headers, the token file, the warning
for a server open beyond loopback. Real HTTP on loopback where the promise is about the wire."""

from __future__ import annotations

import base64
import hashlib
import http.server
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from harness.server.app import VALIDATOR_PAGE, create_app, create_validator_app
from harness.server.embedded import serving
from harness.server.guard import served_names
from tests.server.asgi import Client

CLI = [sys.executable, "-c", "from harness.__main__ import main; main()"]


def _stall(base: str, count: int, data: bytes) -> list[socket.socket]:
    host, port = base.removeprefix("http://").split(":")
    socks = []
    for _ in range(count):
        s = socket.create_connection((host, int(port)))
        s.sendall(data)
        socks.append(s)
    return socks


def _closed_within(socks: list[socket.socket], seconds: float) -> tuple[int, list[bytes]]:
    """How many of the sockets the server closed within `seconds`, and what it said first."""
    closed, said = 0, []
    deadline = time.monotonic() + seconds
    for s in socks:
        s.settimeout(max(deadline - time.monotonic(), 0.01))
        got = b""
        try:
            while chunk := s.recv(65536):
                got += chunk
            closed += 1
        except (socket.timeout, ConnectionResetError):
            pass
        said.append(got)
        s.close()
    return closed, said


@pytest.mark.parametrize("make", [lambda: create_app("r4", body_timeout=1), lambda: create_validator_app(body_timeout=1)])
def test_stalled_half_requests_are_answered_408_and_closed(make):
    head = b"POST /$validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/fhir+json\r\nContent-Length: 100\r\n\r\n{"
    with serving(make(), request_timeout=1) as base:
        socks = _stall(base, 300, head)
        closed, said = _closed_within(socks, 20)
    assert closed == 300
    assert all(s.startswith(b"HTTP/1.1 408") and b"OperationOutcome" in s for s in said)


def test_stalled_header_blocks_are_dropped():
    with serving(create_validator_app(), request_timeout=1) as base:
        socks = _stall(base, 300, b"POST /$validate HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        closed, _ = _closed_within(socks, 20)
    assert closed == 300


def test_body_read_timeout_in_process():
    app = create_validator_app(body_timeout=0.2)

    async def run():
        out = {}

        async def receive():
            await __import__("asyncio").sleep(3600)

        async def send(m):
            out.setdefault(m["type"], m)
        scope = {"type": "http", "method": "POST", "path": "/$validate", "raw_path": b"/$validate",
                 "query_string": b"", "headers": [(b"host", b"localhost")]}
        await app(scope, receive, send)
        return out
    import asyncio
    out = asyncio.run(run())
    assert out["http.response.start"]["status"] == 408
    assert b"did not arrive within 0.2 seconds" in out["http.response.body"]["body"]


@pytest.mark.parametrize("make", [lambda: create_app("r4"), lambda: create_validator_app()])
def test_host_header_is_checked_against_the_served_names(make):
    c = Client(make())
    for host in ("localhost", "localhost:8080", "127.0.0.1:1", "[::1]:8080", "LOCALHOST."):
        assert c.call("GET", "/", host=host).status == 200, host
    for host in ("rebind.example", "rebind.example:8080", "127.0.0.1.rebind.example", "[::2]"):
        answer = c.call("GET", "/", host=host)
        assert answer.status == 421, host
        assert b"OperationOutcome" in answer.body and b"does not answer for the host name" in answer.body


def test_served_names():
    assert served_names("127.0.0.1") == {"localhost", "127.0.0.1", "::1"}
    assert served_names("0.0.0.0") is None  # a wildcard bind cannot know its names: any
    assert served_names("0.0.0.0", ["fhir.example"]) == {"localhost", "127.0.0.1", "::1", "fhir.example"}
    assert served_names("10.0.0.5") == {"localhost", "127.0.0.1", "::1", "10.0.0.5"}
    assert served_names("127.0.0.1", ["*"]) is None


@pytest.mark.parametrize("make", [lambda: create_app("r4"), lambda: create_validator_app()])
def test_page_headers(make):
    answer = Client(make()).call("GET", "/")
    assert answer.status == 200
    h = answer.headers
    assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"
    script = VALIDATOR_PAGE.split("<script>")[1].split("</script>")[0]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = h["content-security-policy"]
    assert f"script-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert "textContent" in script and "innerHTML" not in script  # held: the answer is shown as text


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list = []

    def do_GET(self):
        _Recorder.seen.append(self.headers.get("Authorization"))
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_run_token_file_sends_the_token_and_keeps_it_out_of_argv(tmp_path: Path):
    secret = "tok-" + "x7" * 20
    (tmp_path / "token").write_text(secret + "\n", encoding="utf-8")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        args = CLI + ["run", "--server", f"http://127.0.0.1:{httpd.server_port}", "--token-file",
                      str(tmp_path / "token"), "--reports-dir", str(tmp_path / "r"), "--deadline", "20"]
        p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    finally:
        httpd.shutdown()
    assert secret not in " ".join(args)
    assert f"Bearer {secret}" in _Recorder.seen
    assert secret not in p.stdout + p.stderr
    for f in (tmp_path / "r").glob("*"):
        assert secret not in f.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize("content, words", [(None, "cannot read"), ("", "is empty"), ("a\x01b", "cannot carry")])
def test_run_token_file_errors_are_usage_errors_that_do_not_echo_it(tmp_path: Path, content, words):
    path = tmp_path / "token"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    p = subprocess.run(CLI + ["run", "--token-file", str(path)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and words in p.stderr, p.stderr
    assert "Traceback" not in p.stderr and (not content or content not in p.stderr)


def test_serve_warns_when_the_host_is_not_loopback():
    p = subprocess.Popen(CLI + ["serve", "--host", "0.0.0.0", "--port", "0", "--validator-only"],
                         stderr=subprocess.PIPE, text=True)
    try:
        line = p.stderr.readline()
    finally:
        p.terminate()
        p.wait(timeout=30)
    assert re.match(r"warning: --host 0.0.0.0 is not a loopback address.*no authentication", line), line
