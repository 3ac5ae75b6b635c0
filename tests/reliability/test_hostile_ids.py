"""Ids the harness did not choose (issues #19 item 4, #24 item 2): a proxy in front of the reference
server rewrites what creates answer (ids such as `..`, `.`, `a/b`, `%2F`, 65 characters; a Location
that disagrees with the body; no body at all) and logs every request it receives.

The promises: nothing outside what the harness created is ever deleted or updated (checked on the
proxy's log, batch Bundles included, and on someone else's resources, byte for byte); a case that
received an unusable id fails and says which id; the cleanup summary says exactly what was left."""

from __future__ import annotations

import json
from contextlib import contextmanager
from urllib.parse import unquote

import pytest
import requests

from harness.engine.loader import load_cases
from harness.engine.session import RunOptions, execute
from harness.server.embedded import running

from tests.proxy import Reply, Request, forwarding_proxy
from tests.reliability.test_safety import _foreign

CASES = load_cases(suites=["crud"])
TYPES = ("ImagingStudy", "ImagingSelection", "Patient", "Endpoint", "Practitioner", "ServiceRequest")


@contextmanager
def rewriting_proxy(upstream: str, rewrite):
    """The forwarding proxy (tests/proxy.py); rewrite(proxy_base, type, real_body, headers) ->
    (body bytes, headers) changes the answer to every 201 create. Yields (base, log, made): log holds
    the requests as received, made every "Type/id" the upstream really created."""
    made: set[str] = set()

    def on_response(req: Request, reply: Reply) -> None:
        path = req.path.split("?")[0].strip("/")
        if reply.status == 201 and req.method in ("POST", "PUT"):
            loc = reply.headers["Location"].split("/_history")[0]
            made.add("/".join(loc.split("/")[-2:]))
            if req.method == "POST" and "/" not in path:
                reply.body, reply.headers = rewrite(req.base, path, json.loads(reply.body), reply.headers)
        if req.method == "POST" and path == "" and reply.status == 200:
            for e in json.loads(reply.body).get("entry") or []:
                loc = (e.get("response") or {}).get("location") or ""
                if loc:
                    made.add("/".join(loc.split("/_history")[0].split("/")[-2:]))
            if getattr(rewrite, "bundles", False):
                reply.body, reply.headers = rewrite(req.base, "", json.loads(reply.body), reply.headers)

    with forwarding_proxy(upstream, on_response=on_response) as proxy:
        yield proxy.base, proxy.seen, made


def _study_create(body_id: str | None = None, location_id: str | None = None):
    """The ImagingStudy create's answer with the id of its body, or of its Location, replaced."""
    def rewrite(base, rtype, body, headers):
        if rtype == "ImagingStudy":
            if body_id is not None:
                body["id"] = body_id
            if location_id is not None:
                headers["Location"] = f"{base}/ImagingStudy/{location_id}/_history/1"
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
    for method, path, body in ((r.method, r.path, r.body) for r in log):
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
    result = _run(lambda foreign: _study_create(bad, bad))
    by_id = {c.case.id: c for c in result.cases}
    for cid in ("crud.imagingstudy.create-read", "crud.imagingstudy.delete", "crud.imagingstudy.update-history"):
        c = by_id[cid]
        assert c.status == "failed", (cid, c.status, c.message)
        assert "not a FHIR id" in c.message or "no id" in c.message, c.message
    assert result.left and all("ImagingStudy" in x for x in result.left)


def test_a_location_naming_someone_elses_resource_is_not_trusted():
    result = _run(lambda foreign: _study_create(location_id=foreign[1]["id"]))
    c = {c.case.id: c for c in result.cases}["crud.imagingstudy.create-read"]
    assert c.status == "failed" and "disagree" in c.message, c.message


def test_a_body_naming_someone_elses_resource_is_not_trusted():
    result = _run(lambda foreign: _study_create(body_id=foreign[1]["id"]))
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
    result = _run(lambda foreign: _study_create("..", ".."), load_cases())
    assert {c.case.suite for c in result.cases} >= {"crud", "structure", "bindings", "search"}
    failed = {c.case.id for c in result.cases if c.status not in ("passed", "skipped")}
    assert failed == {"crud.imagingstudy.create-read", "crud.imagingstudy.update-history",
                      "crud.imagingstudy.delete"}  # the cases that create an ImagingStudy and use its id
