"""Cases adapted to what the server claims, at planning.

The run's `_tag: ${tag}` scope is left out of a case's searches when the server does not claim `_tag`
(it would ignore it, or reject it under strict handling); the assertions then count only this run's
resources, so data already on the server causes no false failure.

Cases that use an _include, _revinclude or chain the server does not claim, run under
`Prefer: handling=strict` instead of being skipped (requires.unclaimed: strict).

FHIR lets a server ignore what it does not support (search.html#errors: "Prefer: handling=lenient …
ignore any unknown or unsupported parameter"), so an unclaimed feature cannot be tested as if claimed.
What can be tested is that it never silently returns wrong results: under "Prefer: handling=strict:
Client requests that the server return an error for any unknown or unsupported parameter" the server
must either reject the request ("If the search fails … the return value SHALL be a status code 4xx or
5xx with an OperationOutcome") or apply the feature, in which case the case's assertions hold.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl

from harness.engine.model import Case, Step

PREFER = ("Prefer", "handling=strict")
REJECTED = tuple(range(400, 500)) + (501,)  # a 500 is a failure of the server, not a rejection


def _keys(step: Step) -> list[str]:
    keys = [str(k) for k, _ in step.request.query]
    if isinstance(step.request.body, str):
        keys += [k for k, _ in parse_qsl(step.request.body, keep_blank_values=True)]
    return keys


def _uses(keys: list[str], case: Case) -> bool:
    req = case.requires
    if req.include and any(k.startswith("_include") for k in keys):
        return True
    if req.revinclude and any(k.startswith("_revinclude") for k in keys):
        return True
    return bool(req.chains) and any("." in k for k in keys)


def variant(case: Case, unclaimed: list[str]) -> Case:
    """The case with every step that uses an unclaimed feature sent under handling=strict; a rejection
    (4xx or 501 with an OperationOutcome) passes such a step, and when the server answers, its
    assertions must hold (a failure says the feature was neither rejected nor applied)."""
    why = "; ".join(unclaimed)
    steps = []
    for s in case.steps:
        if not _uses(_keys(s), case):
            steps.append(s)
            continue
        headers = tuple(h for h in s.request.headers if h[0].lower() != "prefer") + (PREFER,)
        note = (f"not claimed ({why}); sent with Prefer: handling=strict, the server neither rejected it "
                f"nor applied it")
        asserts = tuple(dataclasses.replace(a, description=note) for a in s.asserts)
        steps.append(dataclasses.replace(s, request=dataclasses.replace(s.request, headers=headers, rejectable=why),
                                         asserts=asserts))
    return dataclasses.replace(case, steps=tuple(steps),
                               description=(case.description + " " if case.description else "")
                               + f"Run under Prefer: handling=strict because {why}.")


def rejected(resp, body) -> bool:
    return resp.status in REJECTED and isinstance(body, dict) and body.get("resourceType") == "OperationOutcome"


TAG_SCOPE = ("_tag", "${tag}")


def without_unclaimed_tag(case: Case, caps) -> Case:
    """The case without its `_tag=${tag}` scope when the server does not claim _tag for the resource
    (unless the case requires _tag, and is then skipped)."""
    claimed = (caps.resources.get(case.requires.resource or "") or {}).get("searchParams", ())
    if "_tag" in claimed or "_tag" in case.requires.searchParams or not case.requires.resource:
        return case
    steps = []
    for s in case.steps:
        req = s.request
        query = tuple(kv for kv in req.query if tuple(kv) != TAG_SCOPE)
        body = req.body
        if isinstance(body, str) and "_tag=${tag}" in body:
            body = "&".join(p for p in body.split("&") if p != "_tag=${tag}")
        steps.append(dataclasses.replace(s, request=dataclasses.replace(req, query=query, body=body))
                     if (query, body) != (req.query, req.body) else s)
    return dataclasses.replace(case, steps=tuple(steps))
