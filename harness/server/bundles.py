"""Batch and transaction Bundles, each entry handled by the same `handle()` as a single request.

A transaction is all-or-nothing (one storage transaction), entries run in the specification's order
(DELETE, POST, PUT/PATCH, GET/HEAD), `urn:uuid:` fullUrls of created or updated entries are resolved
to `Type/id` before anything is written, and every reference to them is rewritten.
"""

from __future__ import annotations

import logging
import urllib.parse
import uuid

from harness.server.messages import Req, Resp, status_line
from harness.server.outcome import FhirError

log = logging.getLogger("harness.server")

ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}


class _Abort(Exception):
    def __init__(self, index: int, error: FhirError):
        self.index, self.error = index, error


def _entry_request(server, req, entry: dict, index: int):
    if not isinstance(entry, dict) or not isinstance(entry.get("request"), dict):
        raise FhirError(400, f"entry[{index}] has no request")
    r = entry["request"]
    method, url = r.get("method"), r.get("url")
    if method not in ORDER or not isinstance(url, str) or not url:
        raise FhirError(400, f"entry[{index}].request needs a method ({', '.join(ORDER)}) and a url")
    if url.startswith(req.base + "/"):
        url = url[len(req.base) + 1:]
    path, _, query = url.partition("?")
    headers = {"prefer": req.headers.get("prefer", "")}
    for key, header in (("ifMatch", "if-match"), ("ifNoneMatch", "if-none-match"),
                        ("ifNoneExist", "if-none-exist")):
        if isinstance(r.get(key), str):
            headers[header] = r[key]
    resource = entry.get("resource") if isinstance(entry.get("resource"), dict) else None
    if method in ("POST", "PUT") and resource is None:
        raise FhirError(400, f"entry[{index}] ({method}) has no resource")
    return Req(method, [s for s in path.split("/") if s], urllib.parse.parse_qsl(query, keep_blank_values=True),
               headers, req.base, resource=resource)


def _response_entry(server, resp) -> dict:
    out: dict = {"response": {"status": status_line(resp.status)}}
    for header, key in (("Location", "location"), ("ETag", "etag")):
        if header in resp.headers:
            out["response"][key] = resp.headers[header]
    last = ((resp.body or {}).get("meta") or {}).get("lastUpdated")
    if last:
        out["response"]["lastModified"] = last
    if resp.body is not None:
        if resp.body.get("resourceType") == "OperationOutcome":
            out["response"]["outcome"] = resp.body
        else:
            out["resource"] = resp.body
    return out


def _rewrite(value, mapping: dict[str, str]):
    if isinstance(value, dict):
        return {k: (mapping.get(v, v) if k == "reference" and isinstance(v, str) else _rewrite(v, mapping))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, mapping) for v in value]
    return value


def process(server, req):
    bundle = req.json()
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") not in ("batch", "transaction"):
        raise FhirError(400, "POST to the base needs a Bundle of type batch or transaction")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise FhirError(400, "Bundle.entry must be an array")
    if bundle["type"] == "batch":
        return Resp(200, {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "batch-response",
                          "entry": [_batch_entry(server, req, e, i) for i, e in enumerate(entries)]})
    return Resp(200, _transaction(server, req, entries, bundle))


def _batch_entry(server, req, entry, index: int) -> dict:
    """One entry's response: its failure, whatever it is, belongs in it, not in the batch's status
    (FHIR http.html#transaction: a batch's entries succeed or fail independently)."""
    try:
        resp = server.handle(_entry_request(server, req, entry, index))
    except FhirError as e:
        resp = Resp(e.status, e.body, e.headers)
    except Exception:  # a defect: this entry answers 500, the batch and its other entries stand
        log.exception("internal error on batch entry[%d]", index)
        resp = Resp(500, FhirError(500, f"entry[{index}]: internal server error").body)
    return _response_entry(server, resp)


def _transaction(server, req, entries: list, bundle: dict) -> dict:
    requests = [_entry_request(server, req, e, i) for i, e in enumerate(entries)]
    for r in requests:
        r.bundle = bundle  # its resources are validated as entries of this transaction (conditional references)
    mapping: dict[str, str] = {}
    for i, (entry, r) in enumerate(zip(entries, requests)):
        full = entry.get("fullUrl")
        if not isinstance(full, str):
            continue
        if full in mapping:
            raise FhirError(400, f"entry[{i}]: fullUrl {full} appears twice")
        if r.method == "POST" and len(r.segments) == 1:
            cond = r.headers.get("if-none-exist")
            found = server.search_ids(r, r.segments[0], urllib.parse.parse_qsl(cond.split("?", 1)[-1])) \
                if cond else []
            if len(found) > 1:
                raise FhirError(412, f"entry[{i}]: ifNoneExist matches {len(found)} resources")
            r.assigned_id = found[0] if found else str(uuid.uuid4())
            mapping[full] = f"{r.segments[0]}/{r.assigned_id}"
        elif r.method == "PUT" and len(r.segments) == 2:
            mapping[full] = "/".join(r.segments)
    for r in requests:
        if r.resource is not None:
            r.resource = _rewrite(r.resource, mapping)
    results: list = [None] * len(requests)
    order = sorted(range(len(requests)), key=lambda i: ORDER[requests[i].method])
    try:
        with server.store.atomic():
            for i in order:
                try:
                    results[i] = server.handle(requests[i])
                except FhirError as e:
                    raise _Abort(i, e)
    except _Abort as a:
        body = a.error.body
        for issue in body.get("issue", []):
            issue["diagnostics"] = f"transaction entry[{a.index}]: {issue.get('diagnostics', '')}".rstrip(": ")
        raise FhirError(a.error.status, "transaction failed", body=body)
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "transaction-response",
            "entry": [_response_entry(server, resp) for resp in results]}

