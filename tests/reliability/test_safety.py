"""Safety on someone else's server (issue #7): the harness changes nothing it did not create, sends
only reads in --read-only, and never prints a credential."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from harness.engine.loader import load_cases
from harness.engine.session import RunOptions, execute
from harness.server.embedded import running
from tests.shared import ROOT, load_json

FHIR = {"Content-Type": "application/fhir+json", "Prefer": "return=representation"}
TOKEN = "tok-reliability-51c0ffee"


@contextmanager
def recording_proxy(upstream: str):
    """Forwards every request to upstream and records (method, path)."""
    seen: list[tuple[str, str]] = []

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            seen.append((self.command, self.path))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            r = requests.request(self.command, upstream + self.path, data=body, headers=headers, timeout=30,
                                 allow_redirects=False)
            data = r.content.replace(upstream.encode(), f"http://127.0.0.1:{self.server.server_address[1]}".encode())
            self.send_response(r.status_code)
            for k, v in r.headers.items():
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                    self.send_header(k, v.replace(upstream, f"http://127.0.0.1:{self.server.server_address[1]}"))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = forward

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", seen
    finally:
        srv.shutdown()
        srv.server_close()


def test_read_only_sends_only_reads(tmp_path):
    with running("r5") as base, recording_proxy(base) as (proxy, seen):
        result, _ = execute(load_cases(), RunOptions(server=proxy, read_only=True, oracle=True))
    assert seen, "nothing was sent"
    writes = [(m, p) for m, p in seen if m not in ("GET", "HEAD") and not (m == "POST" and "_search" in p)]
    assert writes == []
    assert result.created == 0


def _foreign(base: str) -> list[dict]:
    """Resources someone else put on the server before the run."""
    study = load_json("fixtures/datasets/r5/study-ct-chest.json")
    patient = {"resourceType": "Patient", "name": [{"family": "Other", "given": ["Someone"]}],
               "identifier": [{"system": "urn:other-site", "value": "X1"}]}
    made = []
    r = requests.post(f"{base}/Patient", json=patient, headers=FHIR, timeout=10)
    made.append(r.json())
    study.pop("id")
    study["subject"] = {"reference": f"Patient/{made[0]['id']}"}
    for k in ("basedOn", "referrer", "endpoint"):
        study.pop(k, None)
    for s in study.get("series") or []:
        s.pop("endpoint", None)
        for p in s.get("performer") or []:
            p["actor"] = {"display": "someone"}
    r = requests.post(f"{base}/ImagingStudy", json=study, headers=FHIR, timeout=10)
    assert r.status_code == 201, r.text
    made.append(r.json())
    return made


def test_every_suite_leaves_foreign_resources_byte_equal(tmp_path):
    with running("r5") as base:
        before = _foreign(base)
        raw_before = [requests.get(f"{base}/{r['resourceType']}/{r['id']}", timeout=10).content for r in before]
        result, code = execute(load_cases(), RunOptions(server=base, oracle=True, token=TOKEN))
        raw_after = [requests.get(f"{base}/{r['resourceType']}/{r['id']}", timeout=10).content for r in before]
    assert code == 0, [(c.case.id, c.message) for c in result.cases if c.status in ("failed", "error")]
    assert raw_after == raw_before  # same bytes, so the same versionId and lastUpdated
    assert result.deleted == result.created > 0


def test_the_token_is_in_no_output_of_a_cli_run(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), FHIR_TOKEN=TOKEN)
    p = subprocess.run([sys.executable, "-m", "harness", "run", "--reports-dir", str(tmp_path), "-v",
                        "--header", f"X-Api-Key: {TOKEN}", "--suite", "crud"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert TOKEN not in p.stdout and TOKEN not in p.stderr
    for f in tmp_path.iterdir():
        assert TOKEN not in f.read_text(encoding="utf-8"), f
