"""The validator service's hot path (service.ValidatorService) answers POST .../$validate exactly as
the Starlette endpoint it bypasses: same status, Content-Type and OperationOutcome, for valid,
invalid and refused requests, over real HTTP."""

from __future__ import annotations

import json

import pytest
import requests

from harness.server.app import _validator_starlette, create_validator_app
from harness.server.embedded import serving
from harness.server.service import INLINE_MAX
from harness.server.messages import MAX_DEPTH, depth, may_nest_deeper
from tests.server.data import TIMEOUT, fixture, patient, selection

LIMIT = 512 * 1024
FHIR = "application/fhir+json"
SEL = json.dumps(fixture("r5", "imagingselection-mr-prostate-roi.json")).encode()
BAD = selection("Patient/x")
BAD["status"] = "bogus"
BIG = json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
    {"fullUrl": f"urn:uuid:00000000-0000-4000-8000-{n:012d}", "resource": patient()} for n in range(300)]}).encode()
CASES = {  # name: (path, body, headers)
    "valid": ("/$validate", SEL, {"Content-Type": FHIR}),
    "invalid": ("/ImagingSelection/$validate", json.dumps(BAD).encode(), {"Content-Type": FHIR}),
    "wrong-type": ("/ImagingSelection/$validate", json.dumps(patient()).encode(), {"Content-Type": FHIR}),
    "parameters": ("/$validate", json.dumps({"resourceType": "Parameters", "parameter": [
        {"name": "resource", "resource": BAD}]}).encode(), {"Content-Type": FHIR}),
    "fhir-version": ("/$validate?fhirVersion=r4", SEL, {"Content-Type": FHIR}),
    "unknown-version": ("/$validate?fhirVersion=r9", SEL, {"Content-Type": FHIR}),
    "not-json": ("/$validate", b"{not json", {"Content-Type": FHIR}),
    "no-body": ("/$validate", b"", {"Content-Type": FHIR}),
    "array": ("/$validate", b"[]", {"Content-Type": FHIR}),
    "too-deep": ("/$validate", b'{"resourceType": "Patient", "extension": ' + b"[" * 200 + b"]" * 200 + b"}",
                 {"Content-Type": FHIR}),
    "text-plain": ("/$validate", SEL, {"Content-Type": "text/plain"}),
    "accept-xml": ("/$validate", SEL, {"Content-Type": FHIR, "Accept": "application/fhir+xml"}),
    "format-xml": ("/$validate?_format=xml", SEL, {"Content-Type": FHIR}),
    "too-large": ("/$validate", b" " * (LIMIT + 1), {"Content-Type": FHIR}),
    "in-a-thread": ("/$validate", BIG, {"Content-Type": FHIR}),
}


@pytest.fixture(scope="module")
def both():
    with serving(create_validator_app(max_body=LIMIT)) as hot, serving(_validator_starlette(LIMIT, None)) as plain:
        yield hot, plain


def test_the_big_case_takes_the_thread_path():
    assert INLINE_MAX < len(BIG) < LIMIT


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_answer_as_starlette(both, name):
    path, body, headers = CASES[name]
    hot, plain = (requests.post(base + path, data=body, headers=headers, timeout=TIMEOUT) for base in both)
    assert hot.status_code == plain.status_code, (hot.text[:300], plain.text[:300])
    assert hot.headers["content-type"] == plain.headers["content-type"]
    assert hot.json() == plain.json()
    assert hot.json()["resourceType"] == "OperationOutcome"
    if name in ("valid", "fhir-version", "parameters", "in-a-thread", "invalid"):
        assert hot.status_code == 200


def test_everything_else_goes_to_starlette(both):
    hot, _ = both
    assert requests.get(hot + "/", timeout=TIMEOUT).status_code == 200
    assert requests.get(hot + "/$validate", timeout=TIMEOUT).status_code == 405
    assert requests.post(hot + "/Patient/1", data=SEL, headers={"Content-Type": FHIR}, timeout=TIMEOUT).status_code == 404
    assert requests.post(hot + "/a/b/$validate", data=SEL, headers={"Content-Type": FHIR},
                         timeout=TIMEOUT).status_code == 404


def test_depth_shortcut():
    shallow = b'{"a": [1, {"b": [2]}]}'
    assert not may_nest_deeper(shallow, 4) and depth(json.loads(shallow)) == 4
    deep = b'{"a": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}"
    assert may_nest_deeper(deep) and depth(json.loads(deep)) == MAX_DEPTH + 1
    # brackets inside strings make the count larger, never smaller: the shortcut stays safe
    assert may_nest_deeper(b'{"s": "' + b"[" * 200 + b'"}') and depth({"s": "[" * 200}) == 1
    assert depth(1) == 1 and depth([]) == 1 and depth([[], {"a": [{}]}]) == 4
