"""Native hot invariants agree with fhirpathpy on the same element instances.

For every constraint whose expression has a native version (harness/validation/native.py), each
element instance the structural walk collects is evaluated both ways: on every fixture, on crafted
edge cases, and on the official imaging examples (fetched like tests/validation/test_official_examples.py).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from harness.validation.fhirpath import EvalContext
from harness.validation.native import NATIVE_EXPRESSIONS
from harness.validation.structure import Walker
from harness.validation.validator import validator
from tests.validation.test_official_examples import CASES, _package
from tests.shared import ROOT

FIXTURES = sorted((ROOT / "fixtures").rglob("*.json"))


def _compare(resource: dict, version: str) -> tuple[int, list]:
    v = validator(version)
    walker = Walker(v.compiler, {}, split_bundles=True)
    walker.resource(resource, resource.get("resourceType") or "$", None)
    checked, disagreements = 0, []
    for p in walker.pending:
        for c in p.constraints:
            fn = NATIVE_EXPRESSIONS.get(c.expression)
            if fn is None or not isinstance(p.value, dict):
                continue
            ctx = EvalContext(root=p.root, resource=p.resource, bundle=None, membership=lambda *a: None)
            try:
                result = v.invariants.evaluator.evaluate(c.expression, p.value, p.type_path, ctx)
            except Exception:  # fhirpathpy cannot evaluate it (e.g. startsWith on a value-less
                continue  # _reference): the validator reported not-evaluated before; native decides
            expected = True if result == [] else result[0]
            checked += 1
            if fn(p.value, p.root) != expected:
                disagreements.append((c.key, p.location, p.value))
    return checked, disagreements


def _version_of(path: Path) -> str:
    parts = path.relative_to(ROOT / "fixtures").parts
    if parts[0] == "valid":
        return parts[1]
    entry = json.loads((ROOT / "fixtures/invalid/expectations.json").read_text()).get("/".join(parts[1:]), {})
    return entry.get("fhirVersion") or "r5"


def test_agree_on_every_fixture():
    total = 0
    for path in FIXTURES:
        if path.name == "expectations.json":
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
            continue
        version = _version_of(path)
        if version not in ("r4", "r4b", "r5"):
            version = "r5" if version.startswith(("r5", "r6")) else "r4"
        checked, bad = _compare(data, version)
        total += checked
        assert bad == [], path
    assert total > 100


EDGE = {"resourceType": "ImagingStudy", "id": "e", "status": "available", "subject": {"reference": "Patient/p"},
        "contained": [{"resourceType": "Endpoint", "id": "ep", "status": "active", "address": "https://x",
                       "connectionType": {"system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type",
                                          "code": "dicom-wado-rs"},
                       "managingOrganization": {"reference": "#"},
                       "payloadType": [{"coding": [{"display": "only a display"}]}],
                       "contact": [{"value": "123"}, {"system": "phone"}]}],
        "endpoint": [{"reference": "#ep"}, {"reference": "#missing"}, {"_reference": {"extension": [
            {"url": "http://example.org/x", "valueString": "y"}]}}, {"reference": "#"},
            {"identifier": {"system": "urn:x"}}, {"display": "d"}],
        "identifier": [{"system": "urn:x"}, {"_value": {"extension": [{"url": "http://example.org/x", "valueString": "v"}]}}],
        "note": [{"text": "n"}]}


@pytest.mark.parametrize("version", ["r4", "r4b", "r5"])
def test_agree_on_edge_cases(version: str):
    data = copy.deepcopy(EDGE)
    checked, bad = _compare(data, version)
    assert checked >= 8 and bad == []


@pytest.mark.parametrize("name,pkg_version,version,prefixes", CASES, ids=[c[2] for c in CASES])
def test_agree_on_the_official_imaging_examples(name, pkg_version, version, prefixes):
    pkg = _package(name, pkg_version)
    total = 0
    for f in sorted(pkg.glob("*.json")):
        if f.name.startswith(prefixes + ("Endpoint-", "Patient-")):
            checked, bad = _compare(json.loads(f.read_text(encoding="utf-8")), version)
            total += checked
            assert bad == [], f.name
    assert total > 20


# --- the universal invariants the invariant pass runs natively by key (dom-2..dom-6, ext-1) --------
def _compare_by_key(resource: dict, version: str) -> tuple[int, list]:
    from harness.validation.invariants import NATIVE
    v = validator(version)
    walker = Walker(v.compiler, {}, split_bundles=True)
    walker.resource(resource, resource.get("resourceType") or "$", None)
    refs_table = walker.local_refs

    def refs(r):
        return refs_table.get(id(r), set())
    checked, disagreements = 0, []
    for p in walker.pending:
        for c in p.constraints:
            fn = NATIVE.get((c.source, c.key))
            if fn is None or c.key == "per-1" or not isinstance(p.value, dict):
                continue
            if c.key == "dom-6" and p.value is not p.root:
                continue  # the pass skips contained resources (their narrative is the container's)
            ctx = EvalContext(root=p.root, resource=p.resource, bundle=None, membership=lambda *a: None)
            try:
                result = v.invariants.evaluator.evaluate(c.expression, p.value, p.type_path, ctx)
            except Exception:
                continue
            if result not in ([], [True], [False]):
                continue
            expected = True if result == [] else result[0]
            checked += 1
            if fn(p.value, refs) != expected:
                disagreements.append((c.key, p.location))
    return checked, disagreements


DOM_EDGE = {"resourceType": "ImagingStudy", "id": "d", "status": "available", "subject": {"reference": "#p"},
            "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},
            "contained": [{"resourceType": "Patient", "id": "p", "meta": {"versionId": "1", "security": [
                {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}]},
                "contained": [{"resourceType": "Patient", "id": "q"}]},
                {"resourceType": "Endpoint", "id": "orphan", "status": "active", "address": "https://x",
                 "connectionType": {"system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type",
                                    "code": "dicom-wado-rs"}, "payloadType": [{"text": "DICOM"}]}],
            "extension": [{"url": "http://example.org/both", "valueString": "v",
                           "extension": [{"url": "http://example.org/n", "valueBoolean": True}]},
                          {"url": "http://example.org/neither"}]}


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_universal_natives_agree_on_edge_cases(version: str):
    checked, bad = _compare_by_key(copy.deepcopy(DOM_EDGE), version)
    assert checked >= 6 and bad == []


@pytest.mark.parametrize("name,pkg_version,version,prefixes", CASES, ids=[c[2] for c in CASES])
def test_universal_natives_agree_on_the_official_examples(name, pkg_version, version, prefixes):
    pkg = _package(name, pkg_version)
    total = 0
    for f in sorted(pkg.glob("*.json"))[:800]:
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if not isinstance(data, dict) or data.get("resourceType") in ("Bundle", "StructureDefinition"):
            continue
        checked, bad = _compare_by_key(data, version)
        total += checked
        assert bad == [], f.name
    assert total > 1000
