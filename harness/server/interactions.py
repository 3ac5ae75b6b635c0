"""The FHIR REST interactions over storage: one `handle(Req) -> Resp` used by HTTP and by Bundles.

Routing is by path segments: [] capabilities/paging/batch, [Type], [Type, id], [Type, id, _history],
[Type, id, _history, vid], [Type, _search], [Type, $validate], [$validate].
"""

from __future__ import annotations

import logging
import urllib.parse
import uuid
from datetime import datetime
from email.utils import format_datetime

from harness.pipeline.validator import validate_value
from harness.server import bundles, capability, sql_search, validate
from harness.server.faults import Faults
from harness.server.indexing import catalog
from harness.server.limits import whole_number
from harness.server.messages import Req, Resp, status_line
from harness.server.outcome import FhirError
from harness.server.resolver import StorageResolver
from harness.server.storage import Storage
from harness.server.summary import subset
from harness.validation.outcome import outcome, result_outcome
from harness.validation.references import is_id

log = logging.getLogger("harness.server")


def etag(vid: int) -> str:
    return f'W/"{vid}"'


def _match_etag(header: str, vid: int) -> bool:
    return header.strip() in (f'W/"{vid}"', f'"{vid}"', "*")


class FhirServer:
    def __init__(self, version: str, db: str | None = None, faults: Faults | None = None):
        self.version = version
        self.faults = faults or Faults()
        self.store = Storage(version, db)
        self.cat = catalog(version)
        if {"no-tag-search", "no-includes", "no-chaining"} & set(self.faults):  # options withdrawing a claim
            self.cat = self.cat.variant(("_tag",) if "no-tag-search" in self.faults else (),
                                        includes="no-includes" not in self.faults,
                                        chaining="no-chaining" not in self.faults)

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------ dispatch

    def handle(self, req: Req) -> Resp:
        s, m = req.segments, req.method
        if s and s[-1] == "$validate" and len(s) <= 2 and m == "POST":
            return self._validate(req, s[0] if len(s) == 2 else None)
        if not s:
            if m == "GET" and any(k == "_getpages" for k, _ in req.query):
                return self.page(req)
            if m == "POST":
                return bundles.process(self, req)
            raise FhirError(405 if m != "GET" else 400, "use GET [base]/metadata or POST a batch/transaction Bundle")
        if s == ["metadata"]:
            if m != "GET":
                raise FhirError(405, "metadata is GET only")
            return Resp(200, capability.statement(self, req.base))
        rtype = s[0]
        if rtype == "SearchParameter" and m == "GET" and len(s) <= 2:  # the definitions it searches by
            return Resp(200, capability.search_parameters(self, req.base, s[1] if len(s) == 2 else None, req.query,
                                                          self._strict(req)))
        if rtype not in self.cat.types:
            raise FhirError(404, f"resource type {rtype!r} is not supported by this server ({self.version})",
                            code="not-supported")
        if len(s) == 1:
            if m == "GET":
                return self.search(req, rtype, req.query)
            if m == "POST":
                return self.create(req, rtype)
        elif len(s) == 2 and s[1] == "_search":
            if m == "POST":
                form = urllib.parse.parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True)
                return self.search(req, rtype, req.query + form)
        elif len(s) == 2 and s[1] == "_history":
            raise FhirError(404, f"type-level history is not supported (instance history is: "
                            f"/{rtype}/[id]/_history)", code="not-supported")
        elif len(s) == 2:
            if m == "GET":
                return self.read(req, rtype, s[1])
            if m == "PUT":
                return self.update(req, rtype, s[1])
            if m == "DELETE":
                return self.delete(req, rtype, s[1])
        elif len(s) == 3 and s[2] == "_history" and m == "GET":
            return self.history(req, rtype, s[1])
        elif len(s) == 4 and s[2] == "_history" and m == "GET":
            return self.vread(req, rtype, s[1], s[3])
        else:
            raise FhirError(404, f"no such endpoint: /{'/'.join(s)}")
        raise FhirError(405, f"{m} is not allowed on /{'/'.join(s)}")

    # ------------------------------------------------------------ helpers

    def outgoing(self, resource: dict) -> dict:
        """Every resource the server returns passes here (the drop-single-series fault)."""
        if "drop-single-series" in self.faults and resource.get("resourceType") == "ImagingSelection":
            resource = dict(resource)
            resource["instance"] = list(resource.get("instance") or []) + [{"uid": self._foreign_uid(resource)}]
        return resource

    def _foreign_uid(self, sel: dict) -> str:
        """An instance uid from another series of the selection's study (or a made-up one)."""
        for study in StorageResolver(self.store).studies_with_uid(str(sel.get("studyUid"))):
            for series in study.get("series") or ():
                if series.get("uid") != sel.get("seriesUid"):
                    for inst in series.get("instance") or ():
                        return inst["uid"]
        return f"{sel.get('studyUid', '2.25.1')}.999.1"

    def _headers(self, vid: int, last_updated: str | None, location: str | None = None) -> dict:
        h = {}
        if "no-etag" not in self.faults:
            h["ETag"] = etag(vid)
        if last_updated:  # an HTTP-date (RFC 9110), not the FHIR instant
            h["Last-Modified"] = format_datetime(datetime.fromisoformat(last_updated.replace("Z", "+00:00")),
                                                 usegmt=True)
        if location and "no-location-header" not in self.faults:
            h["Location"] = location
        return h

    def _check_incoming(self, req: Req, rtype: str, resource: dict) -> None:
        if resource.get("resourceType") != rtype:
            raise FhirError(400, f"resourceType {resource.get('resourceType')!r} does not match the "
                            f"endpoint {rtype}", code="invalid")
        try:
            result = validate_value(resource, f"{req.method} {rtype}", self.version, req.duplicates, req.bundle,
                                    resolver=StorageResolver(self.store, req.base))
        except Exception:  # a validator defect must not store the resource nor become a 500
            log.exception("validator failed on %s %s", req.method, rtype)
            raise FhirError(422, "the validator could not process this resource", code="exception")
        if not result.valid and "accept-invalid" not in self.faults:
            raise FhirError(422, "invalid resource", body=result_outcome(result))

    def _written(self, req: Req, resource: dict, status: int) -> Resp:
        vid = int(resource["meta"]["versionId"])
        loc = f"{req.base}/{resource['resourceType']}/{resource['id']}/_history/{vid}"
        headers = self._headers(vid, resource["meta"]["lastUpdated"], loc)
        prefer = req.headers.get("prefer", "")
        if "return=minimal" in prefer or (req.method == "POST" and "no-body-on-create" in self.faults):
            return Resp(status, None, headers)
        if "return=OperationOutcome" in prefer:
            return Resp(status, outcome("ok", severity="information", code="informational"), headers)
        return Resp(status, self.outgoing(resource), headers)

    # ------------------------------------------------------------ interactions

    def _existing(self, req: Req, rtype: str, cond: str) -> Resp | None:
        """The read of the one resource If-None-Exist matches; None when none; 412 for several."""
        ids = self.search_ids(req, rtype, urllib.parse.parse_qsl(cond.split("?", 1)[-1]))
        if len(ids) > 1:
            raise FhirError(412, f"If-None-Exist matches {len(ids)} resources")
        return self.read(req, rtype, ids[0]) if ids else None

    def create(self, req: Req, rtype: str) -> Resp:
        """Validation runs outside the storage lock (other requests go on meanwhile); a conditional
        create searches again under the lock, with the write, so concurrent ones create one resource."""
        resource = req.json()
        cond = req.headers.get("if-none-exist")
        found = self._existing(req, rtype, cond) if cond else None
        if found is not None:
            return found
        resource["id"] = req.assigned_id or str(uuid.uuid4())  # in place: duplicate keys are keyed by id()
        self._check_incoming(req, rtype, resource)
        with self.store.atomic():
            found = self._existing(req, rtype, cond) if cond else None
            if found is not None:
                return found
            self.store.put(resource, "POST")
        return self._written(req, resource, 201)

    def read(self, req: Req, rtype: str, rid: str) -> Resp:
        cur = self.store.current(rtype, rid)
        if cur is None:
            raise FhirError(404, f"{rtype}/{rid} is not known")
        vid, deleted, body = cur
        if deleted:
            if "delete-not-gone" in self.faults and vid > 1:
                gone = self.store.get_version(rtype, rid, vid - 1)
                if gone and gone[1]:
                    return Resp(200, self.outgoing(gone[1]), self._headers(vid - 1, None))
            raise FhirError(410, f"{rtype}/{rid} was deleted", headers=self._headers(vid, None))
        inm = req.headers.get("if-none-match")
        if inm and _match_etag(inm, vid):
            return Resp(304, None, self._headers(vid, body["meta"]["lastUpdated"]))
        params = dict(req.query)
        elements = [e for e in params.get("_elements", "").split(",") if e] or None
        summary = params.get("_summary")
        if summary not in (None, "true", "text", "data", "false"):
            raise FhirError(400, f"_summary on read must be true, text, data or false, not {summary!r}")
        return Resp(200, subset(self.version, self.outgoing(body), summary, elements),
                    self._headers(vid, body["meta"]["lastUpdated"]))

    def vread(self, req: Req, rtype: str, rid: str, vid_text: str) -> Resp:
        vid = whole_number(vid_text, "version id")
        if vid is None:
            raise FhirError(404, f"{rtype}/{rid} has no version {vid_text[:100]!r}")
        found = self.store.get_version(rtype, rid, vid)
        if found is None:
            raise FhirError(404, f"{rtype}/{rid} has no version {vid_text}")
        deleted, body = found
        if deleted:
            raise FhirError(410, f"version {vid_text} of {rtype}/{rid} is a deletion")
        return Resp(200, self.outgoing(body), self._headers(vid, body["meta"]["lastUpdated"]))

    def update(self, req: Req, rtype: str, rid: str) -> Resp:
        resource = req.json()
        if resource.get("id") != rid:
            raise FhirError(400, f"the body's id {resource.get('id')!r} does not match the URL id {rid!r}")
        if not is_id(rid):
            raise FhirError(400, f"{rid[:100]!r} is not a valid resource id")
        self._check_incoming(req, rtype, resource)  # outside the lock: other requests go on meanwhile
        with self.store.atomic():
            cur = self.store.current(rtype, rid)
            im = req.headers.get("if-match")
            if im and (cur is None or cur[1] or not _match_etag(im, cur[0])):
                raise FhirError(412, f"If-Match {im} does not match the current version of {rtype}/{rid}")
            resource = dict(resource)
            self.store.put(resource, "PUT")
        created = not (cur and not cur[1])
        return self._written(req, resource, 201 if created and "update-create-200" not in self.faults else 200)

    def delete(self, req: Req, rtype: str, rid: str) -> Resp:
        with self.store.atomic():
            cur = self.store.current(rtype, rid)
            im = req.headers.get("if-match")
            if im and (cur is None or not _match_etag(im, cur[0])):
                raise FhirError(412, f"If-Match {im} does not match the current version of {rtype}/{rid}")
            vid = self.store.delete(rtype, rid)
        if vid is None:
            return Resp(200, outcome(f"{rtype}/{rid} did not exist or was already deleted",
                                     severity="information", code="informational"))
        return Resp(200, outcome(f"{rtype}/{rid} deleted", severity="information", code="informational"),
                    self._headers(vid, None))

    def history(self, req: Req, rtype: str, rid: str) -> Resp:
        versions = self.store.history(rtype, rid)
        if not versions:
            raise FhirError(404, f"{rtype}/{rid} is not known")
        entries = []
        for vid, last_updated, deleted, method, body in versions:
            e = {"fullUrl": f"{req.base}/{rtype}/{rid}",
                 "request": {"method": method, "url": f"{rtype}/{rid}" if method != "POST" else rtype},
                 "response": {"status": "410 Gone" if deleted else status_line(201 if vid == 1 else 200),
                              "etag": etag(vid), "lastModified": last_updated}}
            if body is not None:
                e["resource"] = self.outgoing(body)
            entries.append(e)
        return Resp(200, {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "history",
                          "total": len(entries), "link": [{"relation": "self", "url":
                                                           f"{req.base}/{rtype}/{rid}/_history"}],
                          "entry": entries})

    # ------------------------------------------------------------ search

    def _strict(self, req: Req) -> bool:
        if "ignore-unknown-strict" in self.faults:
            return False
        return "handling=strict" in req.headers.get("prefer", "").replace(" ", "")

    def search_ids(self, req: Req, rtype: str, pairs: list[tuple[str, str]]) -> list[str]:
        q = sql_search.parse(self.cat, self.faults, req.base, rtype, pairs, strict=True)
        return sql_search.run(self.store, self.cat, self.faults, req.base, q)

    def search(self, req: Req, rtype: str, pairs: list[tuple[str, str]]) -> Resp:
        from harness.server.paging import first_page
        if "status-500-on-search" in self.faults:
            raise FhirError(500, "search failed (injected fault status-500-on-search)")
        q = sql_search.parse(self.cat, self.faults, req.base, rtype, pairs, self._strict(req))
        ids = sql_search.run(self.store, self.cat, self.faults, req.base, q)
        return Resp(200, first_page(self, req, q, ids), search=True)

    def page(self, req: Req) -> Resp:
        from harness.server.paging import later_page
        return Resp(200, later_page(self, req), search=True)

    def _validate(self, req: Req, rtype: str | None) -> Resp:
        return validate.operation(req, rtype, self.version, StorageResolver(self.store, req.base))
