"""The $validate operation: a resource, a Bundle or a Parameters(resource) in, an OperationOutcome out.

200 for a completed validation whether or not the resource is valid; 400 when the body is not JSON
or not a resource, or nests deeper than messages.MAX_DEPTH.
"""

from __future__ import annotations

from harness import definitions
from harness.pipeline.values import results_for_value
from harness.server.messages import Resp
from harness.server.outcome import FhirError
from harness.validation.issues import MAX_ISSUES, TRUNCATED, Result
from harness.validation.outcome import result_outcome

MAX_ANSWER_ISSUES = 10 * MAX_ISSUES  # of one answer: a Bundle's entries are capped each, and all together


def _resource_of(value: dict) -> dict:
    if value.get("resourceType") == "Parameters":
        for p in value.get("parameter") or ():
            if isinstance(p, dict) and p.get("name") == "resource" and isinstance(p.get("resource"), dict):
                return p["resource"]
        raise FhirError(400, "Parameters without a 'resource' parameter", code="required")
    return value


def combined_outcome(results: list[Result], stopped: bool = False) -> dict:
    """One OperationOutcome for a resource and (for a Bundle) its entries, entry locations prefixed;
    `stopped`: validation ended at MAX_ANSWER_ISSUES, the rest of the entries unvalidated."""
    issues: list = []
    for r in results:
        oo = result_outcome(r)
        prefix = None
        if "#entry[" in r.source:
            prefix = "Bundle" + "".join(f".entry[{part.split(']')[0]}].resource"
                                        for part in r.source.split("#entry[")[1:])
        for issue in oo["issue"]:
            if issue.get("code") == "informational" and not r.issues:
                continue
            if prefix and issue.get("expression"):
                issue["expression"] = [prefix + e[e.index("."):] if "." in e else prefix
                                       for e in issue["expression"]]
            issues.append(issue)
    if stopped:  # an error: what was not validated cannot be called valid
        issues.append({"severity": "error", "code": "too-costly", "diagnostics": f"validation stopped after "
                       f"{len(results)} resources with {len(issues)} issues (at most {MAX_ANSWER_ISSUES} per "
                       f"answer): the rest of the Bundle's entries were not validated",
                       "details": {"coding": [{"system": "urn:imaging-harness:rule", "code": TRUNCATED}]}})
    if not issues:
        issues = [{"severity": "information", "code": "informational", "diagnostics": "no issues found",
                   "details": {"text": "no issues found"}}]
    return {"resourceType": "OperationOutcome", "issue": issues}


def operation(req, rtype: str | None, version: str | None, resolver=None):
    """resolver: where the imaging rules find referenced resources (the FHIR server's storage)."""
    value = req.json()  # refuses bodies nested deeper than MAX_DEPTH
    requested = dict(req.query).get("fhirVersion") or version
    if requested is not None and requested not in definitions.VERSIONS:
        raise FhirError(400, f"unknown fhirVersion {requested!r}; use one of {', '.join(definitions.VERSIONS)}")
    resource = _resource_of(value)
    if rtype is not None and resource.get("resourceType") != rtype:
        raise FhirError(400, f"$validate on {rtype} got a {resource.get('resourceType')!r}")
    results, found, stopped = [], 0, False
    for result in results_for_value(resource, req.duplicates, "$validate", requested, resolver=resolver):
        if found + len(result.issues) > MAX_ANSWER_ISSUES:  # bounds the answer, and the work
            stopped = True
            break
        results.append(result)
        found += len(result.issues)
    return Resp(200, combined_outcome(results, stopped))
