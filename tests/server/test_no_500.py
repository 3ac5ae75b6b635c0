"""Requests we did not write: hypothesis generates paths, query strings, headers and bodies for both
ASGI apps, in process (tests/server/asgi.py), and each answer must hold the promise of issue #19
item 5: never a 5xx; every 4xx is an OperationOutcome with an issue that says what was wrong; the
answer stays bounded in size and time. 5,000 requests per app (10,000 in all), about 20 s of CPU each on a 2-core machine.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.server.app import create_app, create_validator_app
from harness.server.indexing import catalog
from tests.server.asgi import Client

EXAMPLES = int(__import__("os").environ.get("NO500_EXAMPLES", "5000"))
MAX_ANSWER = 4 * 1024 * 1024
MAX_SECONDS = 10.0  # wall clock per request, generous for a loaded 2-core machine (typical: milliseconds)
CONFIG = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))

TYPES = sorted(catalog("r5").types) + ["Bundle", "Nope", "OperationOutcome"]
PARAMS = sorted({p for t in catalog("r5").types for p in catalog("r5").params[t]})
ODD = ["", "²", "１２", "\u0663", "9" * 5000, "9" * 20, "-1", "0", "1e999", "nan", "inf", "|", "||", "\\", ",",
       ",,,", "%", "_", "é", "\ud800", "\x00", "\x1b[31m", "gt", "ap", "eq2020", "2020-01-01T00:00:00+99:00",
       "2020-01-01T00:00:00-24:00", "ge2020-01-01T00:00:00+14:00", "lt0001-01-01T00:00:00+14:00", "9999",
       "2020-13-40", "Patient/", "Patient/1/_history/²", "http://x/Patient/1", "urn:uuid:1", "true",
       "a" * 300, "Patient:subject", "ImagingStudy:subject:Patient", "*", "-_id", "count", "text"]
NAMES = PARAMS + ["_count", "_sort", "_include", "_revinclude", "_include:iterate", "_summary", "_elements",
                  "_total", "_format", "_pretty", "_getpages", "_getpagesoffset", "fhirVersion", "nope", ""]
MODIFIERS = ["", ":missing", ":not", ":exact", ":contains", ":identifier", ":below", ":above", ":Patient",
             ":text", ":", ":²"]
SEGMENTS = TYPES + ["", "metadata", "_search", "_history", "$validate", "p1", "1", "²", "..", "%2F", "x" * 70,
                    "9" * 30, "\u0663", "\ud800"]

text = st.text(max_size=20) | st.sampled_from(ODD)
name = st.builds(lambda n, m, chain: ".".join(["subject", "focus", "patient", "link"][:chain] + [n]) + m,
                 st.sampled_from(NAMES), st.sampled_from(MODIFIERS), st.integers(0, 8))
two = st.integers(0, 99).map("{:02d}".format)
date = st.builds(lambda prefix, parts, cut, sign, zone: prefix + "".join(parts[:cut]) + (sign + zone if cut > 4 else ""),
                 st.sampled_from(["", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"]),
                 st.tuples(st.integers(0, 9999).map("{:04d}".format), two.map("-{}".format), two.map("-{}".format),
                           two.map("T{}".format), two.map(":{}".format), two.map(":{}".format)),
                 st.integers(1, 6), st.sampled_from(["+", "-", "Z", ""]), st.tuples(two, two).map(":".join))
value = st.lists(text, min_size=1, max_size=3).map(",".join) | date
pairs = st.lists(st.tuples(name, value), max_size=4)


def _query(items: list[tuple[str, str]], raw: bytes | None) -> bytes:
    if raw is not None:
        return raw
    return urlencode([(quote(k, safe=":.", errors="surrogatepass"), quote(v, errors="surrogatepass"))
                      for k, v in items], safe="%:.").encode()


query = st.builds(_query, pairs, st.none() | st.none() | st.binary(max_size=40))
path = st.lists(st.sampled_from(SEGMENTS), max_size=4).map(lambda s: "/" + "/".join(s))

json_leaf = (st.none() | st.booleans() | st.integers() | st.integers(min_value=2**63) |
             st.floats(allow_nan=False) | text | st.sampled_from(TYPES))
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["id", "status", "subject", "reference", "resourceType", "given", "name", "birthDate",
                     "meta", "text", "extension", "url", "code", "\ud800", "entry", "resource", "request"])
    | text, inner, max_size=4), max_leaves=6)
resource = st.builds(lambda rt, rest: {**rest, "resourceType": rt},
                     st.sampled_from(TYPES) | json_leaf, st.dictionaries(text, json_value, max_size=4))
entry = st.fixed_dictionaries({}, optional={
    "request": st.fixed_dictionaries({"method": st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "X"])
                                       | json_leaf, "url": st.builds(lambda p, q: p.lstrip("/") + "?" + q.decode(
                                           "latin-1"), path, query) | json_leaf},
                                      optional={"ifNoneExist": text, "ifMatch": text}),
    "resource": resource | json_value, "fullUrl": st.sampled_from(["urn:uuid:1", "urn:uuid:2"]) | text})
bundle = st.builds(lambda t, es: {"resourceType": "Bundle", "type": t, "entry": es},
                   st.sampled_from(["batch", "transaction", "collection", "searchset"]) | json_leaf,
                   st.lists(entry, max_size=4) | json_leaf)
body = (st.builds(lambda v: json.dumps(v).encode(), resource | bundle | json_value)
        | st.binary(max_size=60) | st.sampled_from([b"", b"{", b"[" * 5000, b'{"a":' + b"1" * 5000 + b"}",
                                                     b'{"resourceType":"\\ud800"}', b"\xef\xbb\xbf{}"]))
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=30)
headers = st.lists(st.tuples(
    st.sampled_from(["content-type", "accept", "prefer", "if-none-exist", "if-match", "if-none-match",
                     "content-length", "x-other"]),
    st.sampled_from(["application/fhir+json", "application/json", "text/plain", "*/*", "application/xml",
                     "application/x-www-form-urlencoded", "handling=strict", "return=minimal",
                     "return=OperationOutcome", "W/\"1\"", "*", "²", "9" * 30, "-1", "name=x", "_id=²",
                     "birthdate=2020-01-01T00:00:00+99:00"]) | header_text), max_size=4)
method = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])


def check(answer, what, head: bool = False) -> None:
    assert answer.status < 500, (what, answer.status, answer.body[:500])
    assert answer.seconds < MAX_SECONDS, (what, answer.seconds)
    assert len(answer.body) <= MAX_ANSWER, (what, len(answer.body))
    if answer.status >= 400 and not head:  # a HEAD answer has no body
        oo = orjson.loads(answer.body)
        assert oo["resourceType"] == "OperationOutcome", (what, oo)
        assert oo["issue"] and all(i.get("diagnostics") or i.get("details") for i in oo["issue"]), (what, oo)


@pytest.fixture(scope="module")
def server():
    client = Client(create_app("r4"))
    for rid in ("p1", "p2"):  # something for searches, reads and history to find
        client.call("PUT", f"/Patient/{rid}", headers=[("content-type", "application/fhir+json")],
                    body=json.dumps({"resourceType": "Patient", "id": rid, "birthDate": "1970-01-01",
                                     "name": [{"family": "Doe", "given": ["Jo"]}]}).encode())
    yield client
    client.close()


@pytest.fixture(scope="module")
def validator():
    client = Client(create_validator_app(max_body=1024 * 1024))
    yield client
    client.close()


@CONFIG
@given(method=method, path=path, query=query, headers=headers, body=body)
def test_reference_server_never_answers_5xx(server, method, path, query, headers, body):
    check(server.call(method, path, query, headers, body), (method, path, query, headers, body[:200]),
          method == "HEAD")


@CONFIG
@given(rtype=st.none() | st.sampled_from(TYPES) | text, query=query, headers=headers, body=body)
def test_validator_service_never_answers_5xx(validator, rtype, query, headers, body):
    target = "/$validate" if rtype is None else f"/{quote(rtype, errors='surrogatepass')}/$validate"
    if headers == [] or headers[0][0] != "content-type":
        headers = [("content-type", "application/fhir+json")] + headers
    check(validator.call("POST", target, query, headers, body), (target, query, headers, body[:200]))
