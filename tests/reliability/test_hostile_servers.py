"""Hostile servers (issue #7): a loopback server that answers /metadata like the reference server and
misbehaves on everything else, one way per test. In every case the run finishes, each case ends with a
status and a message (never a traceback), and all four reports are written and readable."""

from __future__ import annotations

import gzip
import json
import socket
import struct
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler

import pytest
import requests

from harness.engine.loader import load_cases
from harness.engine.session import EXIT_UNREACHABLE, RunOptions, execute
from harness.reports.registry import FORMATS, FileReport
from harness.server.embedded import running
from tests.shared import http_server

CASES = load_cases(suites=["capabilities", "crud", "search"])


@pytest.fixture(scope="module")
def metadata() -> bytes:
    with running("r5") as base:
        return requests.get(f"{base}/metadata", timeout=10).content


class _Hostile(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _send(self, status: int, body: bytes, ctype="application/fhir+json", extra=None, length=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def handle_one(self):
        srv = self.server
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        srv.hits += 1
        if self.path.split("?")[0].rstrip("/").endswith("/metadata") or self.path.startswith("/metadata"):
            return self._send(200, srv.metadata)
        mode, base = srv.mode, srv.base
        bundle = lambda **kw: json.dumps({"resourceType": "Bundle", "type": "searchset", **kw}).encode()
        if mode == "html-200":
            return self._send(200, b"<html><body>Service temporarily unavailable</body></html>", "text/html")
        if mode == "wrong-content-type":
            return self._send(200, bundle(entry=[]), "text/plain")
        if mode == "truncated-json":
            return self._send(200, b'{"resourceType": "Bundle", "entry": [{"resou')
        if mode == "not-a-resource":
            return self._send(200, b"[1, 2, 3]")
        if mode == "entries-without-resource":
            return self._send(200, bundle(entry=[{"fullUrl": f"{base}/ImagingStudy/1"}, {}], total=2))
        if mode in ("status-500", "status-502"):
            return self._send(int(mode[-3:]), b'{"resourceType": "OperationOutcome", "issue": []}')
        if mode == "503-retry-after":
            return self._send(503, b"", extra={"Retry-After": "0"})
        if mode == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            for f in (self.rfile, self.wfile):  # every reference to the socket, so close() sends RST
                f.close()
            self.connection.close()
            return
        if mode == "read-timeout-mid-body":
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"resourceType": "Bun')
            self.wfile.flush()
            time.sleep(3)
            return
        if mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(50 * 1024 * 1024))
            self.end_headers()
            try:
                for _ in range(50):
                    self.wfile.write(b" " * (1024 * 1024))
            except OSError:
                pass
            return
        if mode == "gzip-bomb":
            return self._send(200, srv.bomb, extra={"Content-Encoding": "gzip"})
        if mode == "redirect-loop":
            return self._send(302, b"", extra={"Location": self.path})
        if mode == "redirect-other-host":
            return self._send(307, b"", extra={"Location": f"http://127.0.0.2:{srv.server_address[1]}{self.path}"})
        if mode == "next-other-host":
            return self._send(200, bundle(entry=[], link=[{"relation": "next", "url": "http://127.0.0.2:9/fhir/p2"}]))
        if mode == "next-cycle":
            return self._send(200, bundle(entry=[], link=[{"relation": "next", "url": f"{base}/ImagingStudy?page=1"}]))
        if mode == "endless-pages":
            srv.page += 1
            return self._send(200, bundle(entry=[], link=[{"relation": "next", "url": f"{base}/ImagingStudy?page={srv.page}"}]))
        if mode == "id-changes":
            if self.command == "POST":
                return self._send(201, json.dumps({"resourceType": "ImagingStudy", "id": "a", "status": "available",
                                                   "subject": {"reference": "Patient/p"}}).encode(),
                                  extra={"Location": f"{base}/ImagingStudy/a/_history/1"})
            return self._send(200, json.dumps({"resourceType": "ImagingStudy", "id": "b", "status": "available",
                                               "subject": {"reference": "Patient/p"}}).encode())
        raise AssertionError(mode)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_one


def hostile(mode: str, metadata: bytes):
    bomb = gzip.compress(b"{" + b" " * (40 * 1024 * 1024), compresslevel=9) if mode == "gzip-bomb" else b""
    return http_server(_Hostile, mode=mode, metadata=metadata, hits=0, page=0, bomb=bomb)


def _run(base: str, tmp_path, **opts):
    reports = [FileReport(name, tmp_path / FORMATS[name][1]) for name in FORMATS]
    options = RunOptions(server=base, timeout=1.0, connect_timeout=1.0, max_bytes=2 * 1024 * 1024, deadline_s=60, **opts)
    t0 = time.monotonic()
    result, code = execute(CASES, options, reports)
    elapsed = time.monotonic() - t0
    assert all(r.written for r in reports), [r.error for r in reports]
    json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    ET.parse(tmp_path / "junit.xml")
    assert json.loads((tmp_path / "testreport.json").read_text(encoding="utf-8"))["resourceType"] == "TestReport"
    assert "<html" in (tmp_path / "report.html").read_text(encoding="utf-8").lower()
    for r in result.cases:
        assert r.status in ("passed", "failed", "error", "skipped") and r.message
        assert "Traceback" not in r.message
    return result, code, elapsed


MODES = ["html-200", "wrong-content-type", "truncated-json", "not-a-resource", "entries-without-resource",
         "status-500", "status-502", "503-retry-after", "reset", "read-timeout-mid-body", "huge", "gzip-bomb",
         "redirect-loop", "redirect-other-host", "next-other-host", "next-cycle", "endless-pages", "id-changes"]


@pytest.mark.parametrize("mode", MODES)
def test_run_survives_a_hostile_server(mode, metadata, tmp_path):
    with hostile(mode, metadata) as srv:
        result, code, elapsed = _run(srv.base, tmp_path)
    assert code == 1 and result.status != "interrupted"
    bad = [r for r in result.cases if r.status in ("failed", "error")]
    assert bad, "a hostile server made no case fail"
    assert elapsed < 60


def test_retry_after_is_honoured_for_reads_and_bounded(metadata, tmp_path):
    from harness.engine.http import Client, ClientConfig, MAX_RETRIES

    with hostile("503-retry-after", metadata) as srv:
        client = Client(ClientConfig(srv.base, None, {}, frozenset()))
        before = srv.hits
        assert client.request("GET", "ImagingStudy").status == 503
        assert srv.hits - before == 1 + MAX_RETRIES
        before = srv.hits
        client.request("POST", "ImagingStudy", body={"resourceType": "ImagingStudy"})
        assert srv.hits - before == 1  # a write is never repeated


def test_messages_say_what_happened(metadata, tmp_path):
    expected = {"gzip-bomb": "larger than", "huge": "larger than", "redirect-other-host": "another origin",
                "read-timeout-mid-body": "timeout", "redirect-loop": "redirects", "reset": "connection"}
    for mode, words in expected.items():
        with hostile(mode, metadata) as srv:
            result, _, _ = _run(srv.base, tmp_path / mode)
        assert any(words in (r.message or "") or words in (result.message or "") for r in result.cases), mode


def test_unreachable_server_exits_3_with_reports(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    result, code, _ = _run(f"http://127.0.0.1:{port}", tmp_path)
    assert code == EXIT_UNREACHABLE and "unreachable" in result.message
