"""Output formats for `imaging-harness validate`: text, json, junit, outcome."""

from __future__ import annotations

import json
from typing import Iterable

from junit_xml import TestCase, TestSuite, to_xml_report_string

from harness.validation.issues import ERROR, INFORMATION, WARNING, Result

FORMATS = ("text", "json", "junit", "outcome")


def summary(results: list[Result]) -> dict:
    return {
        "resources": len(results),
        "errors": sum(r.count(ERROR) for r in results),
        "warnings": sum(r.count(WARNING) for r in results),
    }


def to_json(results: list[Result]) -> str:
    return json.dumps({"results": [r.as_dict() for r in results], "summary": summary(results)},
                      indent=2, ensure_ascii=False) + "\n"


_OO_SEVERITY = {ERROR: "error", WARNING: "warning", INFORMATION: "information"}
_OO_CODE = {"json": "structure", "structure": "structure", "binding": "code-invalid",
            "invariant": "invariant", "narrative": "invalid", "extension": "extension", "input": "exception"}


def outcome(result: Result) -> dict:
    issues = [{
        "severity": _OO_SEVERITY[i.severity],
        "code": _OO_CODE.get(i.rule.split(".", 1)[0], "invalid"),
        "details": {"coding": [{"system": "urn:imaging-harness:rule", "code": i.rule}], "text": i.message},
        "diagnostics": i.requirement,
        "expression": [i.location],
    } for i in result.issues]
    if not issues:
        issues = [{"severity": "information", "code": "informational",
                   "details": {"text": "no issues found"}}]
    return {"resourceType": "OperationOutcome", "issue": issues}


def to_outcome_bundle(results: list[Result]) -> str:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": f"urn:uuid:{_uuid(i)}", "resource": outcome(r)} for i, r in enumerate(results)]}
    for n, (entry, r) in enumerate(zip(bundle["entry"], results)):
        entry["resource"]["id"] = f"result-{n}"
        entry["resource"]["extension"] = [{
            "url": "urn:imaging-harness:source", "valueString": r.source}]
    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"


def _uuid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def to_junit(results: list[Result]) -> str:
    cases = []
    for r in results:
        name = f"{r.source} ({r.resource_type or 'unknown'}/{r.id or '-'})"
        tc = TestCase(name, classname=f"validate.{r.fhir_version}", file=r.source.split("#", 1)[0])
        errors = [i for i in r.issues if i.severity == ERROR]
        if errors:
            tc.add_failure_info(message=f"{len(errors)} error(s): {errors[0].rule} at {errors[0].location}",
                                output="\n".join(f"{i.severity} {i.rule} {i.location}: {i.message} [{i.requirement}]"
                                                 for i in r.issues))
        elif r.issues:
            tc.stdout = "\n".join(f"{i.severity} {i.rule} {i.location}: {i.message}" for i in r.issues)
        cases.append(tc)
    return to_xml_report_string([TestSuite("imaging-harness validate", cases)])


_COLOURS = {ERROR: "\033[31m", WARNING: "\033[33m", INFORMATION: "\033[36m"}


def to_text(results: Iterable[Result], colour: bool = False, show_information: bool = True) -> str:
    lines = []
    results = list(results)
    for r in results:
        status = "valid" if r.valid else "INVALID"
        lines.append(f"{r.source}: {r.resource_type or '?'}/{r.id or '-'} [{r.fhir_version}] {status}")
        for i in r.issues:
            if i.severity == INFORMATION and not show_information:
                continue
            sev = f"{_COLOURS[i.severity]}{i.severity}\033[0m" if colour else i.severity
            lines.append(f"  {sev:<11} {i.rule:<30} {i.location}")
            lines.append(f"              {i.message}")
            lines.append(f"              requirement: {i.requirement}")
    s = summary(results)
    invalid = sum(1 for r in results if not r.valid)
    lines.append(f"{s['resources']} resources, {s['resources'] - invalid} valid, {invalid} invalid; "
                 f"{s['errors']} errors, {s['warnings']} warnings")
    return "\n".join(lines) + "\n"


def render(fmt: str, results: list[Result], colour: bool = False) -> str:
    if fmt == "json":
        return to_json(results)
    if fmt == "junit":
        return to_junit(results)
    if fmt == "outcome":
        return to_outcome_bundle(results)
    return to_text(results, colour=colour)
