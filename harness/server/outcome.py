"""OperationOutcome values and the error type every handler raises to answer with one."""

from __future__ import annotations

from harness.reports.validation import outcome as result_outcome
from harness.validation.issues import Result

_DEFAULT_CODE = {400: "invalid", 404: "not-found", 405: "not-supported", 406: "not-supported",
                 409: "conflict", 410: "deleted", 412: "conflict", 413: "too-long", 415: "not-supported",
                 422: "processing", 500: "exception"}


def outcome(message: str, severity: str = "error", code: str = "processing",
            expression: str | None = None) -> dict:
    issue = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def validation_outcome(result: Result) -> dict:
    return result_outcome(result)


class FhirError(Exception):
    """Raised anywhere while handling a request; answered with `status` and an OperationOutcome."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 body: dict | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.body = body or outcome(message, code=code or _DEFAULT_CODE.get(status, "processing"))
        self.headers = headers or {}
