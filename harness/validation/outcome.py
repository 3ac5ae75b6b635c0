"""OperationOutcome building, in one room for every part that answers with one: a validation Result
as an OperationOutcome (the validate command's `outcome` format, the server's $validate and its 422
answers) and an outcome carrying one message (every error the reference server answers with).

FHIR OperationOutcome: issue.severity (fatal | error | warning | information), issue.code (IssueType),
issue.details, issue.diagnostics, issue.expression.
"""

from __future__ import annotations

from harness.validation.issues import ERROR, INFORMATION, WARNING, Result

_OO_SEVERITY = {ERROR: "error", WARNING: "warning", INFORMATION: "information"}
_OO_CODE = {"json": "structure", "structure": "structure", "binding": "code-invalid",
            "invariant": "invariant", "narrative": "invalid", "extension": "extension", "input": "exception"}


def result_outcome(result: Result) -> dict:
    """A validation Result as an OperationOutcome: one issue per Issue (severity, a code from the
    rule's family, the rule id as a coding, the requirement as diagnostics, the location as
    expression); 'no issues found' when there are none."""
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


def outcome(message: str, severity: str = "error", code: str = "processing",
            expression: str | None = None) -> dict:
    """An OperationOutcome with one issue: a message (diagnostics), its severity and code."""
    issue = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}
