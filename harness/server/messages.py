"""A request and an answer as the server's handlers see them (`Req`, `Resp`), and the reading of a
request body: JSON parsed once, a FHIR resource, nested at most MAX_DEPTH levels (deeper: 400)."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus

from harness.server.outcome import FhirError
from harness.validation.jsonparse import parse_bytes

MAX_DEPTH = 100


def depth(value, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of a parsed JSON value (level by level; stops counting past the limit)."""
    if not isinstance(value, (dict, list)):
        return 1
    level, deepest = [value], 0
    while level:
        deepest += 1
        if deepest > limit:
            return deepest
        below = []
        for v in level:
            for x in (v.values() if isinstance(v, dict) else v):
                if isinstance(x, (dict, list)):
                    below.append(x)
        level = below
    return deepest


def may_nest_deeper(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """False when the JSON text cannot nest deeper than `limit`: each level of a parsed value needs a
    bracket of its own in the text, so fewer brackets than levels settles it without a walk."""
    return body.count(b"[") + body.count(b"{") > limit


@dataclass
class Req:
    method: str
    segments: list[str]
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names
    base: str
    body: bytes = b""
    resource: dict | None = None  # already parsed (Bundle entries)
    assigned_id: str | None = None  # transaction: id chosen before processing (urn:uuid rewriting)
    duplicates: dict = field(default_factory=dict)  # id(object) -> repeated keys, from strict parsing
    bundle: dict | None = None  # the transaction Bundle this entry's request came from

    def json(self) -> dict:
        if self.resource is not None:
            return self.resource
        if not self.body:
            raise FhirError(400, "the request has no body")
        parsed = parse_bytes(self.body)
        if parsed.error is not None:
            raise FhirError(400, f"body: {parsed.error}", code="structure")
        if may_nest_deeper(self.body) and depth(parsed.value) > MAX_DEPTH:
            raise FhirError(400, f"the body nests deeper than {MAX_DEPTH} levels", code="too-long")
        if not isinstance(parsed.value, dict) or not isinstance(parsed.value.get("resourceType"), str):
            raise FhirError(400, "body is not a FHIR resource (a JSON object with resourceType)",
                            code="structure")
        self.duplicates = parsed.duplicates
        self.resource = parsed.value  # parsed once
        return parsed.value


@dataclass
class Resp:
    status: int
    body: dict | None = None
    headers: dict[str, str] = field(default_factory=dict)
    search: bool = False  # a searchset (faults that target search responses)


def status_line(status: int) -> str:
    return f"{status} {HTTPStatus(status).phrase}"
