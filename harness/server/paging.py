"""Searchset Bundles and paging: the matching ids are snapshotted once, pages are slices of it.

Page links are `[base]?_getpages=<snapshot>&_getpagesoffset=N&_count=C`, so a page stays the same
while resources are created or updated (a deleted resource drops out of its page).
"""

from __future__ import annotations

import urllib.parse
import uuid

from harness.server import sql_includes, sql_search
from harness.server.limits import whole_number
from harness.server.outcome import FhirError
from harness.server.summary import subset


def _page_url(base: str, sid: str, offset: int, count: int) -> str:
    return f"{base}?_getpages={sid}&_getpagesoffset={offset}&_count={count}"


def first_page(server, req, q: sql_search.Query, ids: list[str]) -> dict:
    self_url = f"{req.base}/{q.rtype}" + ("?" + urllib.parse.urlencode(q.used) if q.used else "")
    snap = {"rtype": q.rtype, "ids": ids, "count": q.count, "total": q.total, "summary": q.summary,
            "elements": q.elements, "self": self_url,
            "includes": [list(i) for i in q.includes], "revincludes": [list(i) for i in q.revincludes]}
    sid = server.store.save_snapshot(snap) if len(ids) > q.count > 0 else ""
    return render(server, req, sid, snap, 0)


def later_page(server, req) -> dict:
    params = dict(req.query)
    sid = params.get("_getpages", "")
    snap = server.store.snapshot(sid)
    if snap is None:
        raise FhirError(404, f"no search snapshot {sid!r} (expired or never made)")
    offset = whole_number(params.get("_getpagesoffset", "0"), "_getpagesoffset")
    count = whole_number(params.get("_count", str(snap["count"])), "_count")
    if offset is None or count is None:
        raise FhirError(400, "_getpagesoffset and _count must be integers")
    if count <= 0:
        raise FhirError(400, "_getpagesoffset must be >= 0 and _count > 0")
    snap = dict(snap, count=count)
    return render(server, req, sid, snap, offset)


def render(server, req, sid: str, snap: dict, offset: int) -> dict:
    faults = server.faults
    ids, count, rtype = snap["ids"], snap["count"], snap["rtype"]
    bundle: dict = {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "searchset"}
    if snap["total"] != "none" or snap["summary"] == "count":
        bundle["total"] = len(ids) + (1 if "wrong-total" in faults else 0)
    self_url = snap["self"] if offset == 0 else _page_url(req.base, sid, offset, count)
    links = [{"relation": "self", "url": self_url}]
    if snap["summary"] == "count" or count == 0:
        bundle["link"] = links
        return bundle
    start = offset
    if "duplicate-across-pages" in faults and offset > 0:
        start = offset - 1
    page_ids = ids[start:offset + count]
    if sid:
        last = ((len(ids) - 1) // count) * count
        links.append({"relation": "first", "url": _page_url(req.base, sid, 0, count)})
        if offset > 0:
            links.append({"relation": "previous", "url": _page_url(req.base, sid, max(offset - count, 0), count)})
        nxt = offset + count
        if nxt < len(ids):
            if "broken-paging" in faults:
                nxt = offset
            if not ("drop-last-page" in faults and nxt >= last):
                links.append({"relation": "next", "url": _page_url(req.base, sid, nxt, count)})
        links.append({"relation": "last", "url": _page_url(req.base, sid, last, count)})
    bundle["link"] = links
    bodies = server.store.many([(rtype, i) for i in page_ids])
    entries = [{"fullUrl": f"{req.base}/{rtype}/{i}",
                "resource": subset(server.version, server.outgoing(bodies[(rtype, i)]), snap["summary"],
                                   snap.get("elements")),
                **({} if "omit-search-mode" in faults else {"search": {"mode": "match"}})}
               for i in page_ids if (rtype, i) in bodies]
    q = sql_search.Query(rtype, includes=[tuple(i) for i in snap["includes"]],
                     revincludes=[tuple(i) for i in snap["revincludes"]])
    if (q.includes or q.revincludes) and "ignore-include" not in faults:
        for res in sql_includes.included(server.store, server.cat, rtype, [i for i in page_ids if (rtype, i) in bodies], q):
            entries.append({"fullUrl": f"{req.base}/{res['resourceType']}/{res['id']}",
                            "resource": server.outgoing(res), "search": {"mode": "include"}})
    if entries:
        bundle["entry"] = entries
    return bundle
