"""The imaging rules' Resolver over the server's own storage: references and Study Instance UIDs.

With it, an incoming ImagingSelection is checked against the stored ImagingStudy it derives from
(the single-series rule, series numbers, the study's patient) before it is accepted.
"""

from __future__ import annotations

import orjson

from harness.validation.references import parse_reference


class StorageResolver:
    name = "this server"

    def __init__(self, store, base: str = ""):
        self.store, self.base = store, base

    def resolve(self, reference: str, base: str | None = None) -> dict | None:
        if self.base and reference.startswith(self.base + "/"):
            reference = reference[len(self.base) + 1:]
        parsed = parse_reference(reference)
        if parsed is None or parsed[2] is not None:  # another server's resource
            return None
        return self.store.many([(parsed[0], parsed[1])]).get((parsed[0], parsed[1]))

    def studies_with_uid(self, uid: str) -> list[dict]:
        rows = self.store.query(
            "SELECT r.body FROM resource r WHERE r.rtype='ImagingStudy' AND r.deleted=0 AND EXISTS (SELECT 1 "
            "FROM idx_token t WHERE t.rtype=r.rtype AND t.rid=r.rid AND t.param='identifier' "
            "AND t.code IN (?, ?))", [uid, "urn:oid:" + uid])
        return [orjson.loads(body) for (body,) in rows]
