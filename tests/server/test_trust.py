"""Issue #19 items 5-7: the inputs that answered 500 or a traceback, the amplification, the
conditional-create race. Each test failed on the main branch before the fix."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from harness.server.app import create_app, create_validator_app
from harness.server import interactions
from harness.server.embedded import running
from tests.server.asgi import Client

J = [("content-type", "application/fhir+json")]
SURROGATE = b'{"resourceType":"\\ud800"}'


@pytest.fixture(scope="module")
def server():
    c = Client(create_app("r4"))
    c.call("PUT", "/Patient/a", headers=J, body=b'{"resourceType":"Patient","id":"a"}')
    yield c
    c.close()


@pytest.fixture(scope="module")
def validator():
    c = Client(create_validator_app())
    yield c
    c.close()


def outcome_of(answer, status: int, words: str) -> dict:
    assert answer.status == status, (answer.status, answer.body[:300])
    assert answer.headers["content-type"].startswith("application/fhir+json")
    oo = json.loads(answer.body)
    assert oo["resourceType"] == "OperationOutcome"
    assert words in " ".join(i.get("diagnostics", "") for i in oo["issue"]), oo
    return oo


@pytest.mark.parametrize("body", [SURROGATE, b'{"resourceType":"Patient","\\udc00":1}'])
def test_validator_refuses_a_lone_surrogate(validator, body):
    outcome_of(validator.call("POST", "/$validate", headers=J, body=body), 400, "lone UTF-16 surrogate")


def test_validator_takes_a_bundle_entry_whose_resource_type_is_a_number(validator):
    body = b'{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":5}}]}'
    oo = outcome_of(validator.call("POST", "/$validate", headers=J, body=body), 200, "resourceType is required")
    assert ["Bundle.entry[0].resource"] in [i.get("expression") for i in oo["issue"]]


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/Patient", b'{"resourceType":"Patient","gender":"\\ud800"}'),
    ("POST", "/Patient", b'{"resourceType":"Patient","\\ud800":"male"}'),
    ("PUT", "/Patient/a", b'{"resourceType":"Patient","id":"a","name":[{"family":"\\ud800"}]}'),
])
def test_server_refuses_a_lone_surrogate_in_a_write(server, method, path, body):
    outcome_of(server.call(method, path, headers=J, body=body), 400, "lone UTF-16 surrogate")


@pytest.mark.parametrize("path, query, words", [
    ("/Patient", "_count=%C2%B2".encode(), "_count must be a non-negative integer"),
    ("/Patient", b"_count=" + b"9" * 5000, "5000 digits"),
    ("/Patient", b"birthdate=2020-01-01T00:00:00%2B99:00", "is not a FHIR date"),
    ("/Patient", b"birthdate=2020-01-01T00:00:00-24:00", "is not a FHIR date"),
    ("/Observation", b"focus.focus.focus.focus.focus.focus.focus.code=x", "at most 3"),
    ("/Observation", b"&".join([b"focus.focus.performer._id=x"] * 15), "more than 500 subqueries"),
    ("/Patient", b"&".join([b"name=a"] * 2000), "at most 100"),
    ("/Patient", b"name=" + b",".join([b"a"] * 2000), "at most 100"),
    ("/Patient", b"\x80=1", "not UTF-8"),
    ("/Patient", b"name=" + b"a" * 100_000, "longer than"),
])
def test_server_answers_a_hostile_query_with_a_4xx_outcome(server, path, query, words):
    answer = server.call("GET", path, query)
    outcome_of(answer, 414 if words == "longer than" else 400, words)


def test_server_history_with_an_odd_digit_is_not_found(server):
    outcome_of(server.call("GET", "/Patient/a/_history/\u00b2"), 404, "has no version")


def test_batch_entry_failure_stays_in_the_entry(server):
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "GET", "url": "Patient?_count=\u00b2"}},
        {"request": {"method": "GET", "url": "Patient?birthdate=2020-01-01T00:00:00%2B99:00"}},
        {"request": {"method": "GET", "url": "Patient/a"}}]}
    answer = server.call("POST", "/", headers=J, body=json.dumps(bundle).encode())
    assert answer.status == 200, answer.body[:300]
    statuses = [e["response"]["status"] for e in json.loads(answer.body)["entry"]]
    assert statuses == ["400 Bad Request", "400 Bad Request", "200 OK"]


def test_batch_entry_defect_is_that_entry_s_500_not_the_batch_s(server, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a defect")
    monkeypatch.setattr(interactions.FhirServer, "read", broken)
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "GET", "url": "Patient/a"}}, {"request": {"method": "GET", "url": "metadata"}}]}
    answer = server.call("POST", "/", headers=J, body=json.dumps(bundle).encode())
    assert answer.status == 200
    assert [e["response"]["status"][:3] for e in json.loads(answer.body)["entry"]] == ["500", "200"]


@pytest.mark.parametrize("http", ["h11", "httptools"])
def test_a_100_kb_url_over_http_gets_an_outcome(http, monkeypatch):
    monkeypatch.setattr("harness.server.embedded.choose", lambda option, value: http)
    with running("r4") as base:
        r = requests.get(f"{base}/Patient?name=" + "a" * 100_000, timeout=30)
    assert 400 <= r.status_code < 500
    assert r.headers["content-type"].startswith("application/fhir+json")
    assert r.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "outcome"])
def test_validate_cli_reports_a_lone_surrogate_without_a_traceback(tmp_path: Path, fmt):
    (tmp_path / "s.json").write_bytes(SURROGATE)
    assert len(SURROGATE) == 25  # the issue's "26-byte file" with its line end
    out = tmp_path / f"out.{fmt}"
    p = subprocess.run([sys.executable, "-c", "from harness.__main__ import main; main()", "validate", str(tmp_path / "s.json"), "--format", fmt,
                        "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in p.stderr and "Error" not in p.stderr, p.stderr
    assert p.returncode == 1  # invalid
    assert "lone UTF-16 surrogate" in out.read_text(encoding="utf-8")


# --- item 6: amplification -------------------------------------------------------------------------

MILLION = json.dumps({"resourceType": "Patient", "id": "big", "name": [{"given": [1] * 1_000_000}]},
                     separators=(",", ":")).encode()


def test_a_million_wrong_values_give_a_bounded_answer(server, validator):
    assert len(MILLION) < 2_100_000
    for answer, status in ((server.call("PUT", "/Patient/big", headers=J, body=MILLION), 422),
                           (validator.call("POST", "/$validate", headers=J, body=MILLION), 200)):
        assert answer.status == status
        assert len(answer.body) < 64 * 1024, len(answer.body)
        issues = json.loads(answer.body)["issue"]
        assert len(issues) == 101
        assert "999900 error" in json.dumps(issues[-1]) and "more issues not listed" in json.dumps(issues[-1])


def test_validation_runs_outside_the_storage_lock(monkeypatch):
    app = create_app("r4")
    store = app.state.server.store
    held = []
    real = interactions.validate_value

    def watching(*args, **kwargs):
        held.append(store.lock._is_owned())
        return real(*args, **kwargs)
    monkeypatch.setattr(interactions, "validate_value", watching)
    c = Client(app)
    body = b'{"resourceType":"Patient","id":"p","gender":"male"}'
    assert c.call("PUT", "/Patient/p", headers=J, body=body).status == 201
    assert c.call("POST", "/Patient", headers=J, body=body).status == 201
    assert c.call("POST", "/Patient", headers=J + [("if-none-exist", "gender=female")], body=body).status == 201
    assert held == [False, False, False]


# --- item 7: conditional create ---------------------------------------------------------------------

def test_concurrent_conditional_creates_store_one_resource():
    with running("r4") as base:
        for trial in range(12):
            marker = f"trial-{trial}"
            body = {"resourceType": "Patient", "identifier": [{"system": "urn:x", "value": marker}]}
            barrier = threading.Barrier(20)
            statuses = []

            def post():
                barrier.wait()
                r = requests.post(f"{base}/Patient", json=body, timeout=60, headers={
                    "Content-Type": "application/fhir+json", "If-None-Exist": f"identifier=urn:x|{marker}"})
                statuses.append(r.status_code)
            threads = [threading.Thread(target=post) for _ in range(20)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            found = requests.get(f"{base}/Patient", params={"identifier": f"urn:x|{marker}"}, timeout=30).json()
            assert found["total"] == 1, (trial, found["total"])
            assert sorted(statuses) == [200] * 19 + [201], statuses


@pytest.mark.parametrize("text, lone", [
    (rb'{"a":"\ud800"}', True), (rb'{"a":"\udfff"}', True), (rb'{"\uDBFF":1}', True),
    (rb'{"a":"x\ud800\ud800\udc00"}', True), (rb'{"a":"\\\ud800"}', True),
    (rb'{"a":"\ud83d\ude00"}', False), (rb'{"a":"\\ud800"}', False), (rb'{"a":"\u00e9\u2603"}', False)])
def test_parser_refuses_exactly_the_lone_surrogates(text, lone):
    from harness.validation.jsonparse import parse_bytes
    parsed = parse_bytes(text)
    assert (parsed.error is not None) == lone, parsed.error
    if lone:
        assert "lone UTF-16 surrogate" in str(parsed.error) and parsed.value is None
