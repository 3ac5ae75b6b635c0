"""Fidelity to the specification and to HL7's reference validator (issue #21): false alarms it does
not raise and findings it makes that the harness missed, each on a fixture of our own, through the
structural walk and the fast path alike (tests/test_fastpath.py's `same`)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from harness import definitions
from harness.validation import terminology
from harness.validation.validator import validate_value
from tests.test_fastpath import same

ROOT = Path(__file__).resolve().parent.parent


def load(rel: str) -> dict:
    return json.loads((ROOT / rel).read_text(encoding="utf-8"))


def errors(resource: dict, version: str) -> list[tuple[str, str]]:
    assert same(copy.deepcopy(resource), version) in (True, False)  # the fast path agrees with the walk
    return [(i.rule, i.location) for i in validate_value(resource, "mem", version).issues if i.severity == "error"]


# --- item 3: xml | json | ttl | mime type ----------------------------------------------------------

CAPABILITY = "fixtures/valid/r5/capabilitystatement-imaging-server.json"


@pytest.mark.parametrize("version", ["r4", "r4b", "r5"])
def test_every_element_bound_to_mime_types_accepts_the_format_shorthands(version: str):
    """CapabilityStatement.format: '"xml", "json" and "ttl" are allowed ... Otherwise, mime types are
    legal here.' The codes belong to the mimetypes value set, so every element bound to it accepts them
    (HL7's reference validator does the same), and anything else must still be a MIME type."""
    defs = definitions.load(version)
    bound = sorted({e["path"] for name in defs.manifest["types"] for e in defs.type(name).get("elements", ())
                    if (e.get("binding") or {}).get("valueSet") == "http://hl7.org/fhir/ValueSet/mimetypes"})
    assert {"CapabilityStatement.format", "Attachment.contentType", "Binary.contentType"} <= set(bound)
    exp = terminology.expansion(defs, "http://hl7.org/fhir/ValueSet/mimetypes")
    for code in ("xml", "json", "ttl", "application/fhir+json", "text/plain; charset=utf-8"):
        assert terminology.in_value_set(exp, "code", code), code
    for code in ("jsn", "XML", "json/", "fhir+json"):
        assert not terminology.in_value_set(exp, "code", code), code


def test_capability_statement_formats_are_not_binding_errors():
    cs = load(CAPABILITY)
    assert errors(cs, "r5") == []
    cs["format"].append("jsn")
    assert errors(cs, "r5") == [("binding.required", "CapabilityStatement.format[3]")]
    binary = {"resourceType": "Binary", "contentType": "ttl", "data": "QQ=="}
    assert errors(binary, "r4") == []
