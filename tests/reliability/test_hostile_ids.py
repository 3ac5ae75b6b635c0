"""Ids the harness did not choose (issues #19 item 4, #24 item 2): a proxy in front of the reference
server rewrites what creates answer (ids such as `..`, `.`, `a/b`, `%2F`, 65 characters; a Location
that disagrees with the body; no body at all) and logs every request it receives.

The promises: nothing outside what the harness created is ever deleted or updated (checked on the
proxy's log, batch Bundles included, and on someone else's resources, byte for byte); a case that
received an unusable id fails and says which id; the cleanup summary says exactly what was left."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import pytest
import requests

from harness.engine.loader import load_cases
from harness.engine.session import RunOptions, execute
from harness.server.embedded import running

from .test_safety import _foreign

CASES = load_cases(suites=["crud"])
TYPES = ("ImagingStudy", "ImagingSelection", "Patient", "Endpoint", "Practitioner", "ServiceRequest")


@contextmanager
def rewriting_proxy(upstream: str, rewrite):
    """Forwards to upstream; rewrite(proxy_base, type, real_body, headers) -> (body bytes, headers)
    changes the answer to every 201 create. Yields (base, log, made): log holds (method, path,
    body) as received, made every "Type/id" the upstream really created."""
    log: list[tuple[str, str, bytes]] = []
    made: set[str] = set()

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            log.append((self.command, self.path, body))
            me = f"http://127.0.0.1:{self.server.server_address[1]}"
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            r = requests.request(self.command, upstream + self.path, data=body or None, headers=headers,
                                 timeout=30, allow_redirects=False)
            data = r.content.replace(upstream.encode(), me.encode())
            out = {k: v.replace(upstream, me) for k, v in r.headers.items()
                   if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")}
            path = self.path.split("?")[0].strip("/")
            if r.status_code == 201 and self.command in ("POST", "PUT"):
                loc = r.headers["Location"].split("/_history")[0]
                made.add("/".join(loc.split("/")[-2:]))
                if self.command == "POST" and "/" not in path:
                    data, out = rewrite(me, path, json.loads(data), out)
            if self.command == "POST" and path == "" and r.status_code == 200:
                for e in r.json().get("entry") or []:
                    loc = (e.get("response") or {}).get("location") or ""
                    if loc:
                        made.add("/".join(loc.split("/_history")[0].split("/")[-2:]))
                if getattr(rewrite, "bundles", False):
                    data, out = rewrite(me, "", json.loads(data), out)
            self.send_response(r.status_code)
            for k, v in out.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = forward

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", log, made
    finally:
        srv.shutdown()
        srv.server_close()


def _with_id(value):
    def rewrite(base, rtype, body, headers):
        if rtype != "ImagingStudy":
            return json.dumps(body).encode(), headers
        body["id"] = value
        headers["Location"] = f"{base}/ImagingStudy/{value}/_history/1"
        return json.dumps(body).encode(), headers
    return rewrite


def _location_names(target: str):
    def rewrite(base, rtype, body, headers):
        if rtype == "ImagingStudy":
            headers["Location"] = f"{base}/ImagingStudy/{target}/_history/1"
        return json.dumps(body).encode(), headers
    return rewrite


def _body_names(target: str):
    def rewrite(base, rtype, body, headers):
        if rtype == "ImagingStudy":
            body["id"] = target
        return json.dumps(body).encode(), headers
    return rewrite


def _no_body(base, rtype, body, headers):
    headers.pop("Content-Type", None)
    return b"", headers


def _transaction_entry_id(value):
    """The dataset's transaction answer: its first entry (a Patient) gets the id value."""
    def rewrite(base, rtype, body, headers):
        if rtype == "" and body.get("type") == "transaction-response":
            e = body["entry"][0]
            e["response"]["location"] = f"{e['resource']['resourceType']}/{value}/_history/1"
            e["resource"]["id"] = value
        return json.dumps(body).encode(), headers
    rewrite.bundles = True
    return rewrite


def _writes(log) -> list[tuple[str, str]]:
    """Every DELETE, PUT and PATCH the proxy received, those inside batch/transaction Bundles too."""
    out = []
    for method, path, body in log:
        if method in ("DELETE", "PUT", "PATCH"):
            out.append((method, path))
        elif method == "POST" and path.split("?")[0].strip("/") == "" and body:
            for e in json.loads(body).get("entry") or []:
                req = e.get("request") or {}
                if req.get("method") in ("DELETE", "PUT", "PATCH"):
                    out.append((req["method"], "/" + req["url"]))
    return out


def _target(path: str) -> str:
    """"Type/id" a write's URL path names (decoded, dot-segments resolved as a server would)."""
    segs = []
    for s in unquote(path.split("?")[0]).split("/"):
        if s == "..":
            segs = segs[:-1]
        elif s not in ("", "."):
            segs.append(s)
    return "/".join(segs)


def _left_upstream(base: str, run_id: str) -> int:
    total = 0
    for t in TYPES:
        for code in (run_id, f"{run_id}-cases"):
            b = requests.get(f"{base}/{t}", params={"_tag": f"urn:imaging-harness:run|{code}"}, timeout=10).json()
            total += len(b.get("entry") or [])
    return total


def _run(make, cases=CASES):
    """Run the cases (the crud suite) through the proxy; make(foreign resources) -> the rewrite."""
    with running("r5") as upstream:
        foreign = _foreign(upstream)
        before = [requests.get(f"{upstream}/{r['resourceType']}/{r['id']}", timeout=10).content for r in foreign]
        with rewriting_proxy(upstream, make(foreign)) as (proxy, log, made):
            result, code = execute(cases, RunOptions(server=proxy, timeout=10))
        after = [requests.get(f"{upstream}/{r['resourceType']}/{r['id']}", timeout=10).content for r in foreign]
        left = _left_upstream(upstream, result.run_id)
    writes = _writes(log)
    assert writes, "the run sent no write at all"
    outside = [(m, p) for m, p in writes if _target(p) not in made]
    assert outside == [], "deleted or updated what the harness did not create"
    assert after == before, "someone else's resources changed"
    assert result.created - result.deleted == left == len(result.left), (result.left, left)
    return result


BAD_IDS = ["..", ".", "a/b", "%2F", "x" * 65, "a b", ""]


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
def test_an_unusable_id_is_never_put_in_a_url(bad):
    result = _run(lambda foreign: _with_id(bad))
    by_id = {c.case.id: c for c in result.cases}
    for cid in ("crud.imagingstudy.create-read", "crud.imagingstudy.delete", "crud.imagingstudy.update-history"):
        c = by_id[cid]
        assert c.status == "failed", (cid, c.status, c.message)
        assert "not a FHIR id" in c.message or "no id" in c.message, c.message
    assert result.left and all("ImagingStudy" in x for x in result.left)


def test_a_location_naming_someone_elses_resource_is_not_trusted():
    result = _run(lambda foreign: _location_names(foreign[1]["id"]))
    c = {c.case.id: c for c in result.cases}["crud.imagingstudy.create-read"]
    assert c.status == "failed" and "disagree" in c.message, c.message


def test_a_body_naming_someone_elses_resource_is_not_trusted():
    result = _run(lambda foreign: _body_names(foreign[1]["id"]))
    c = {c.case.id: c for c in result.cases}["crud.imagingstudy.create-read"]
    assert c.status == "failed" and "disagree" in c.message, c.message


def test_a_create_answered_without_a_body_takes_the_id_from_location():
    result = _run(lambda foreign: _no_body)
    bad = {c.case.id: c.message for c in result.cases if c.status in ("failed", "error")}
    assert not bad, bad
    assert result.left == [] and result.deleted == result.created > 0


def test_an_unusable_id_in_the_dataset_transaction_is_never_put_in_a_url():
    result = _run(lambda foreign: _transaction_entry_id(".."))
    assert "not a FHIR id" in result.message and "dot-segment" in result.message, result.message
    assert len(result.left) == 1 and "'..'" in result.left[0]
    needing = [c for c in result.cases if c.case.fixtures]
    assert needing and all(c.status == "error" and "could not be loaded" in c.message for c in needing)


def test_every_suite_through_a_server_that_answers_creates_with_dot_dot():
    result = _run(lambda foreign: _with_id(".."), load_cases())
    assert {c.case.suite for c in result.cases} >= {"crud", "structure", "bindings", "search"}
    failed = {c.case.id for c in result.cases if c.status not in ("passed", "skipped")}
    assert failed == {"crud.imagingstudy.create-read", "crud.imagingstudy.update-history",
                      "crud.imagingstudy.delete"}  # the cases that create an ImagingStudy and use its id
