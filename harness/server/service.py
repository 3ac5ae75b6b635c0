"""The validator service's hot path: POST /$validate and /{type}/$validate answered straight from ASGI.

Everything else (the page at /, 404, 405, lifespan) goes to the Starlette app it wraps, which would
answer $validate identically. This path skips Starlette's middleware, routing and Request objects,
and, for bodies up to INLINE_MAX, the thread-pool hop: validating a typical resource costs a fraction
of a millisecond of CPU, less than handing it to a thread and back (which the GIL would serialise
anyway). Larger bodies are validated in a thread so the event loop goes on answering the others.
"""

from __future__ import annotations

import gc
import logging
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool

from harness.server.limits import BODY_TIMEOUT, Disconnected, read_body
from harness.server.messages import Req
from harness.server.negotiation import FHIR_JSON, check_content_type, check_format
from harness.server.outcome import FhirError, dumps
from harness.server.validate import operation

INLINE_MAX = 64 * 1024
_CONTENT_TYPE = (b"content-type", FHIR_JSON.encode())
_NOSNIFF = (b"x-content-type-options", b"nosniff")
log = logging.getLogger("harness.server")


class ValidatorService:
    """ASGI app: POST [/{type}]/$validate here, anything else to `fallback`."""

    def __init__(self, fallback, max_body: int, version: str | None = None,
                 body_timeout: float = BODY_TIMEOUT) -> None:
        self.fallback, self.max_body, self.version = fallback, max_body, version
        self.body_timeout = body_timeout

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            segments = [s for s in scope["path"].split("/") if s]
            if segments and segments[-1] == "$validate" and len(segments) <= 2:
                await self._validate(scope, receive, send, segments)
                return
        await self.fallback(scope, receive, send)

    async def _validate(self, scope, receive, send, segments: list[str]) -> None:
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:  # the first of repeated headers, as Starlette's .get
            headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        extra: dict = {}
        try:
            check_format(dict(query).get("_format"), headers.get("accept"))
            body = await read_body(receive, headers.get("content-length"), self.max_body, self.body_timeout)
            check_content_type(headers.get("content-type", ""), segments, body)
            host = headers.get("host") or "localhost"
            req = Req("POST", segments, query, headers, f"{scope.get('scheme', 'http')}://{host}", body)
            rtype = segments[0] if len(segments) == 2 else None
            if len(body) <= INLINE_MAX:
                resp = operation(req, rtype, self.version)
            else:
                resp = await run_in_threadpool(operation, req, rtype, self.version)
            status, data, extra = resp.status, dumps(resp.body), resp.headers
        except Disconnected:  # the client went away mid-request: nobody to answer
            return
        except FhirError as e:
            status, data, extra = e.status, dumps(e.body), e.headers
        except Exception:  # never a traceback to the client
            log.exception("internal error on POST %s", scope["path"])
            e = FhirError(500, "internal server error")
            status, data = e.status, dumps(e.body)
        out = [_CONTENT_TYPE, _NOSNIFF, (b"content-length", str(len(data)).encode())]
        out += [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": data})


WARM_UP = (b'{"resourceType": "ImagingSelection", "status": "available", "subject": {"reference": "Patient/p"},'
           b' "code": {"coding": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "113000"}]},'
           b' "studyUid": "2.25.1", "seriesUid": "2.25.1.1", "instance": [{"uid": "2.25.1.1.1", "number": 1,'
           b' "sopClass": {"system": "urn:ietf:rfc:3986", "code": "urn:oid:1.2.840.10008.5.1.4.1.1.4"},'
           b' "imageRegion2D": [{"regionType": "point", "coordinate": [1.5, 2]}]}]}')


def warm_up(version: str | None = None) -> None:
    """Validate one small ImagingSelection, so definitions and checkers are loaded before the first
    request (and, with `serve --workers`, once in the parent, shared by the forked workers); then
    take what is loaded out of the cyclic collector's sight (gc.freeze): it lives as long as the
    process, and walking it made every full collection a pause of ~15 ms, a p99 spike under load
    (and wrote to the pages the forked workers share)."""
    operation(Req("POST", ["$validate"], [], {}, "http://localhost", WARM_UP), None, version)
    gc.collect()
    gc.freeze()
