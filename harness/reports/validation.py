"""Output formats for `imaging-harness validate`: text, json, junit, outcome."""

from __future__ import annotations

import json
from typing import IO, Iterable

import orjson

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


JSON_BATCH = 256  # results serialized per orjson call while streaming (bounded memory, few calls)


def _results_json(dicts: list[dict]) -> str:
    """Results (a non-empty list) as the elements of the report's "results" array: the text that
    json.dumps(indent=2, ensure_ascii=False) gives them there, each line indented to its depth and
    each result after a newline. orjson's OPT_INDENT_2 writes these values (strings, booleans, null,
    lists and objects) byte for byte as the stdlib does, about ten times faster: the stdlib's C
    encoder does not indent, so indent=2 ran its pure-Python one (a third of a small resource's time)."""
    try:
        body = orjson.dumps(dicts, option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONEncodeError:  # text orjson refuses (a lone surrogate in a file name): the stdlib's
        body = json.dumps(dicts, indent=2, ensure_ascii=False)
    return body[1:-2].replace("\n", "\n  ")  # without "[" and "\n]"; two more spaces at every depth


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
    from junit_xml import TestCase, TestSuite, to_xml_report_string  # here: 20 ms of every start-up

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


def _text_lines(r: Result, colour: bool, show_information: bool = True) -> list[str]:
    lines = [f"{r.source}: {r.resource_type or '?'}/{r.id or '-'} [{r.fhir_version}] {'valid' if r.valid else 'INVALID'}"]
    for i in r.issues:
        if i.severity == INFORMATION and not show_information:
            continue
        sev = f"{_COLOURS[i.severity]}{i.severity}\033[0m" if colour else i.severity
        lines.append(f"  {sev:<11} {i.rule:<30} {i.location}")
        lines.append(f"              {i.message}")
        lines.append(f"              requirement: {i.requirement}")
    return lines


def summary_line(resources: int, invalid: int, errors: int, warnings: int) -> str:
    return (f"{resources} resources, {resources - invalid} valid, {invalid} invalid; "
            f"{errors} errors, {warnings} warnings")


def to_text(results: Iterable[Result], colour: bool = False, show_information: bool = True) -> str:
    results = list(results)
    lines = [line for r in results for line in _text_lines(r, colour, show_information)]
    s = summary(results)
    lines.append(summary_line(s["resources"], sum(1 for r in results if not r.valid), s["errors"], s["warnings"]))
    return "\n".join(lines) + "\n"


class Tally:
    """Counts kept while results stream past (nothing else is held)."""

    def __init__(self) -> None:
        self.resources = self.invalid = self.errors = self.warnings = 0

    def add(self, r: Result) -> None:
        self.resources += 1
        self.invalid += not r.valid
        self.errors += r.count(ERROR)
        self.warnings += r.count(WARNING)

    @property
    def line(self) -> str:
        return summary_line(self.resources, self.invalid, self.errors, self.warnings)


def stream(fmt: str, results: Iterable[Result], out: IO[str], colour: bool = False) -> Tally:
    """Write text or json while the results are produced, so memory stays bounded on any input
    size; the bytes are the same as render()'s. junit and outcome are built whole."""
    tally = Tally()
    if fmt == "text":
        for r in results:
            tally.add(r)
            out.write("\n".join(_text_lines(r, colour)) + "\n")
        out.write(tally.line + "\n")
    elif fmt == "json":
        out.write('{\n  "results": [')
        batch: list[dict] = []
        for r in results:
            tally.add(r)
            batch.append(r.as_dict())
            if len(batch) >= JSON_BATCH:
                out.write(("," if tally.resources > len(batch) else "") + _results_json(batch))
                batch = []
        if batch:
            out.write(("," if tally.resources > len(batch) else "") + _results_json(batch))
        s = {"resources": tally.resources, "errors": tally.errors, "warnings": tally.warnings}
        out.write(("\n  " if tally.resources else "") + '],\n  "summary": '
                  + json.dumps(s, indent=2).replace("\n", "\n  ") + "\n}\n")
    else:
        results = list(results)
        for r in results:
            tally.add(r)
        out.write(render(fmt, results, colour))
    return tally


def render(fmt: str, results: list[Result], colour: bool = False) -> str:
    if fmt == "json":
        return to_json(results)
    if fmt == "junit":
        return to_junit(results)
    if fmt == "outcome":
        return to_outcome_bundle(results)
    return to_text(results, colour=colour)
