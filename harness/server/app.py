"""The ASGI application (Starlette): HTTP in, `FhirServer.handle` or the validator service, HTTP out.

This module owns content negotiation, body limits, JSON serialisation and the faults that act on
the HTTP layer; it answers every failure with an OperationOutcome and never shows a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Iterable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.definitions import versions
from harness.engine.sink import PrintableLogs
from harness.server.faults import Faults
from harness.server.guard import LOOPBACK_NAMES, Guard, page
from harness.server.interactions import FhirServer, Req, Resp
from harness.server.limits import BODY_TIMEOUT, DEFAULT_MAX_BODY, Disconnected, read_body
from harness.server.outcome import FhirError, dumps

FHIR_JSON = "application/fhir+json; charset=utf-8"
JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir", "text/json")
FORMAT_OK = ("json", "application/json", "application/fhir+json", "application/json+fhir")
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
log = logging.getLogger("harness.server")
log.addFilter(PrintableLogs())  # request paths and headers are the client's text: printable in every log line


def _media(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _negotiate(request: Request) -> None:
    check_format(request.query_params.get("_format"), request.headers.get("accept"))


def check_format(fmt: str | None, accept: str | None) -> None:
    """406 unless the `_format` parameter or else the Accept header admits FHIR JSON."""
    if fmt is not None and fmt not in FORMAT_OK and _media(fmt) not in FORMAT_OK:
        raise FhirError(406, f"_format={fmt} is not supported: this server speaks FHIR JSON only",
                        code="not-supported")
    if accept and fmt is None:
        kinds = [_media(a) for a in accept.split(",")]
        if not any(k in JSON_TYPES or k in ("*/*", "application/*") or k.endswith("+json") for k in kinds):
            raise FhirError(406, f"cannot answer Accept: {accept} (FHIR JSON only)", code="not-supported")


async def _body(request: Request, limit: int, timeout: float) -> bytes:
    return await read_body(request.receive, request.headers.get("content-length"), limit, timeout)


def _check_content_type(request: Request, segments: list[str], body: bytes) -> None:
    check_content_type(request.headers.get("content-type", ""), segments, body)


def check_content_type(content_type: str, segments: list[str], body: bytes) -> None:
    """415 unless a body is FHIR JSON (or a form, for _search)."""
    if not body:
        return
    media = _media(content_type)
    if segments and segments[-1] == "_search" and media == "application/x-www-form-urlencoded":
        return
    if media not in JSON_TYPES:
        raise FhirError(415, f"Content-Type {media or '(none)'} is not supported: send application/fhir+json",
                        code="not-supported")


def _render(resp: Resp, faults: Faults, pretty: bool) -> Response:
    headers = dict(resp.headers)
    if resp.body is None:
        return Response(status_code=resp.status, headers=headers)
    data = dumps(resp.body, pretty)
    if resp.search and "malformed-json" in faults:
        data = data[: max(len(data) - 2, 1)]
    media = "text/plain; charset=utf-8" if "wrong-content-type" in faults else FHIR_JSON
    return Response(data, status_code=resp.status, headers=headers, media_type=media)


def _error_response(e: FhirError, faults: Faults) -> Response:
    return _render(Resp(e.status, e.body, e.headers), faults, False)


def create_app(version: str, db: str | None = None, faults: Iterable[str] = (),
               max_body: int = DEFAULT_MAX_BODY, hosts: Iterable[str] | None = LOOPBACK_NAMES,
               body_timeout: float = BODY_TIMEOUT) -> Starlette:
    """The reference FHIR server for `version` (one the version table says it speaks), SQLite at `db`
    (else in memory), answering the Host names `hosts` (None: any), each request body read within
    `body_timeout` seconds."""
    if version not in versions.served():
        raise ValueError(f"the reference server speaks {versions.spoken(versions.served())}, not {version!r}")
    active = Faults(faults)
    server = FhirServer(version, db, active)

    async def endpoint(request: Request) -> Response:
        if "slow-responses" in active:
            await asyncio.sleep(0.5)
        try:
            segments = [s for s in request.url.path.split("/") if s]
            _negotiate(request)
            body = await _body(request, max_body, body_timeout)
            _check_content_type(request, segments, body)
            base = str(request.base_url).rstrip("/")
            req = Req(request.method, segments, list(request.query_params.multi_items()),
                      {k.lower(): v for k, v in request.headers.items()}, base, body)
            if request.method == "GET" and not segments and not request.query_params:
                return page(VALIDATOR_PAGE)
            resp = await run_in_threadpool(server.handle, req)
            return _render(resp, active, request.query_params.get("_pretty") == "true")
        except FhirError as e:
            return _error_response(e, active)
        except Disconnected:  # the client went away mid-request (e.g. a harness run interrupted)
            return Response(status_code=499)
        except Exception:  # never a traceback to the client
            log.exception("internal error on %s %s", request.method, request.url.path)
            return _error_response(FhirError(500, "internal server error"), active)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        server.close()

    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=METHODS)], lifespan=lifespan,
                    middleware=[Middleware(Guard, names=hosts)])
    app.state.server = server
    return app


def create_validator_app(max_body: int = DEFAULT_MAX_BODY, version: str | None = None,
                         hosts: Iterable[str] | None = LOOPBACK_NAMES, body_timeout: float = BODY_TIMEOUT):
    """The validator service alone: POST /$validate and /{type}/$validate, and a page at /.

    POST .../$validate is answered by `service.ValidatorService` straight from ASGI (the hot path);
    the Starlette app below answers everything else (and would answer $validate the same way)."""
    from harness.server.service import ValidatorService

    return Guard(ValidatorService(_validator_starlette(max_body, version, body_timeout), max_body, version,
                                  body_timeout), hosts)


def _validator_starlette(max_body: int, version: str | None, body_timeout: float = BODY_TIMEOUT) -> Starlette:
    from harness.server.validate import operation

    async def endpoint(request: Request) -> Response:
        segments = [s for s in request.url.path.split("/") if s]
        try:
            if request.method == "GET" and not segments:
                return page(VALIDATOR_PAGE)
            if not segments or segments[-1] != "$validate" or len(segments) > 2:
                raise FhirError(404, "the validator service answers POST /$validate and POST /{type}/$validate")
            if request.method != "POST":
                raise FhirError(405, "$validate is POST only")
            _negotiate(request)
            body = await _body(request, max_body, body_timeout)
            _check_content_type(request, segments, body)
            req = Req("POST", segments, list(request.query_params.multi_items()),
                      {k.lower(): v for k, v in request.headers.items()}, str(request.base_url).rstrip("/"), body)
            resp = await run_in_threadpool(operation, req, segments[0] if len(segments) == 2 else None, version)
            return _render(resp, Faults(), False)
        except FhirError as e:
            return _error_response(e, Faults())
        except Disconnected:
            return Response(status_code=499)
        except Exception:
            log.exception("internal error on %s %s", request.method, request.url.path)
            return _error_response(FhirError(500, "internal server error"), Faults())

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=METHODS)])


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>imaging-harness validator</title>
<style>body{font-family:sans-serif;margin:2em;max-width:60em}textarea{width:100%;height:20em;font-family:monospace}
pre{background:#f4f4f4;padding:1em;white-space:pre-wrap}</style></head>
<body><h1>imaging-harness validator</h1>
<p>Paste a FHIR JSON resource or Bundle and press Validate. The result is an OperationOutcome from
<code>POST /$validate</code>.</p>
<label>FHIR version <select id="v"><option value="">(by resource type, else %DEFAULT%)</option>
%OPTIONS%</select></label>
<textarea id="res" spellcheck="false"></textarea><br><button id="go">Validate</button>
<pre id="out"></pre>
<script>
document.getElementById('go').onclick = async function () {
  var v = document.getElementById('v').value;
  var r = await fetch('$validate' + (v ? '?fhirVersion=' + encodeURIComponent(v) : ''), {method: 'POST',
    headers: {'Content-Type': 'application/fhir+json'}, body: document.getElementById('res').value});
  var text = await r.text();
  try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) {}
  document.getElementById('out').textContent = r.status + '\\n' + text;
};
</script></body></html>
"""
#: the validator's page: one <option> per version of the version table
VALIDATOR_PAGE = _PAGE.replace("%DEFAULT%", versions.default()).replace(
    "%OPTIONS%", "".join(f"<option>{name}</option>" for name in versions.names()))
