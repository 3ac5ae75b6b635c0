"""Hostile input (issue #7) to `imaging-harness validate` and to the validator service: every input
gets a defined answer (a result per source, exit 0/1/2; an OperationOutcome with 200/400/413),
never a traceback, and the duplicate keys FHIR JSON forbids are reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from harness.server.app import create_validator_app
from harness.server.embedded import serving
from tests.shared import ROOT, run_cli

STUDY = (ROOT / "fixtures/valid/r5/imagingstudy-ct-chest.json").read_text(encoding="utf-8")

INPUTS = {
    "deep-nesting": ('{"resourceType": "ImagingStudy", "note": [' + '{"extension": [' * 3000 + "]}" * 3000 + "]}").encode(),
    "huge-array": ('{"resourceType": "ImagingStudy", "status": "available", "subject": {"reference": "Patient/p"}, '
                   '"series": [' + ",".join(['{"uid": "1.2.3", "modality": {"coding": [{"code": "CT"}]}}'] * 20000)
                   + "]}").encode(),
    "number-beyond-float": b'{"resourceType": "ImagingStudy", "numberOfSeries": 1e400, "status": "available"}',
    "decimal-beyond-float": b'{"resourceType": "ImagingSelection", "status": "available", "code": {"text": "x"}, '
                            b'"instance": [{"uid": "1.2.3", "imageRegion2D": [{"regionType": "point", "coordinate": [1e400, 2]}]}]}',
    "huge-integer": b'{"resourceType": "ImagingStudy", "numberOfSeries": ' + b"9" * 5000 + b"}",
    "invalid-utf8": b'{"resourceType": "ImagingStudy", "description": "\xff\xfe broken", "status": "available"}',
    "duplicate-keys": STUDY.replace('"status": "available",', '"status": "available", "status": "cancelled",', 1).encode(),
    "not-json": b"<ImagingStudy xmlns='http://hl7.org/fhir'/>",
    "empty": b"",
    "nul-bytes": b'{"resourceType": "Imaging\x00Study"}',
}
EXPECT_RULE = {"number-beyond-float": {"json.number-range", "structure.primitive-format"},
               "decimal-beyond-float": {"json.number-range"}, "invalid-utf8": {"json.syntax"},
               "duplicate-keys": {"json.duplicate-key"}, "not-json": {"json.syntax"}, "empty": {"json.syntax"}}


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_validate_answers_every_hostile_input(name: str, tmp_path: Path):
    f = tmp_path / f"{name}.json"
    f.write_bytes(INPUTS[name])
    p = run_cli("validate", str(f), "--format", "json", timeout=300)
    assert p.returncode in (0, 1), p.stderr
    assert "Traceback" not in p.stderr + p.stdout
    doc = json.loads(p.stdout)
    assert doc["results"], name
    rules = {i["rule"] for r in doc["results"] for i in r["issues"]}
    if name in EXPECT_RULE:
        assert EXPECT_RULE[name] & rules, rules
        assert p.returncode == 1


@pytest.fixture(scope="module")
def service():
    with serving(create_validator_app(max_body=4 * 1024 * 1024)) as url:
        yield url


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_validator_service_answers_every_hostile_input(name: str, service: str):
    r = requests.post(f"{service}/$validate", data=INPUTS[name], timeout=120,
                      headers={"Content-Type": "application/fhir+json"})
    assert r.status_code in (200, 400, 413), (r.status_code, r.text[:300])
    oo = r.json()
    assert oo["resourceType"] == "OperationOutcome" and oo["issue"]
    assert "Traceback" not in r.text
    if name == "duplicate-keys":
        assert "json.duplicate-key" in r.text


def test_validator_service_refuses_a_body_over_its_limit(service: str):
    r = requests.post(f"{service}/$validate", data=b" " * (5 * 1024 * 1024), timeout=60,
                      headers={"Content-Type": "application/fhir+json"})
    assert r.status_code == 413 and r.json()["resourceType"] == "OperationOutcome"
