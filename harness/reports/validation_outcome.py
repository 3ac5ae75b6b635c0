"""`validate --format outcome`: a FHIR Bundle (collection) of OperationOutcomes, one per resource, each
naming its source in an extension (rule ids in `details.coding`)."""

from __future__ import annotations

import json

from harness.validation.issues import Result
from harness.validation.outcome import result_outcome


def render_results(results: list[Result]) -> str:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": f"urn:uuid:{_uuid(i)}", "resource": result_outcome(r)} for i, r in enumerate(results)]}
    for n, (entry, r) in enumerate(zip(bundle["entry"], results)):
        entry["resource"]["id"] = f"result-{n}"
        entry["resource"]["extension"] = [{
            "url": "urn:imaging-harness:source", "valueString": r.source}]
    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"


def _uuid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"
