"""The door of both servers: which Host names are served, how long a URL may be, what a page may do.

`Guard` wraps an ASGI app and refuses, with an OperationOutcome, a request whose Host header names
none of the served names (a DNS-rebinding page in a browser reaches a loopback server under its own
name; RFC 9110 §7.2: the Host header carries the name the client used) and a request target longer
than limits.MAX_URL. `page` answers the HTML page with headers that keep it from running anything
but its own script (Content-Security-Policy with the script's and style's hashes), being framed
(X-Frame-Options, frame-ancestors) or having a JSON answer sniffed as HTML (X-Content-Type-Options).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from typing import Iterable

import orjson
from starlette.responses import HTMLResponse

from harness.server.limits import check_url
from harness.server.outcome import FhirError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
ANY_HOST = "*"
_BRACKETED = re.compile(r"\[([^\]]*)\](?::\d*)?$")


def host_name(header: str) -> str:
    """The name of a Host header value: without the port, brackets of an IPv6 literal, a final dot."""
    header = header.strip().lower()
    m = _BRACKETED.match(header)
    if m:
        return m.group(1)
    if header.count(":") == 1:
        header = header.split(":", 1)[0]
    return header.rstrip(".")


def is_loopback(host: str) -> bool:
    if host_name(host) == "localhost":
        return True
    try:
        return ipaddress.ip_address(host_name(host)).is_loopback
    except ValueError:
        return False


def served_names(host: str, extra: Iterable[str] = ()) -> frozenset[str] | None:
    """The Host names a server listening on `host` answers: the loopback names and `host` itself;
    None (any name) for a wildcard address without `extra` names, which cannot know its names."""
    names = {host_name(n) for n in extra}
    if ANY_HOST in names:
        return None
    wildcard = host_name(host) in ("0.0.0.0", "::", "")
    if wildcard and not names:
        return None
    return frozenset(names | set(LOOPBACK_NAMES) | ({host_name(host)} if not wildcard else set()))


class Guard:
    """ASGI middleware: 421 for a Host outside `names` (None: any), 414 for an over-long URL."""

    def __init__(self, app, names: Iterable[str] | None = LOOPBACK_NAMES) -> None:
        self.app = app
        self.names = None if names is None else frozenset(host_name(n) for n in names)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            try:
                check_url(scope.get("raw_path") or scope["path"].encode(), scope.get("query_string", b""))
                if self.names is not None:
                    self._check_host(scope)
            except FhirError as e:
                await _answer(send, e)
                return
        await self.app(scope, receive, send)

    def _check_host(self, scope) -> None:
        for name, value in scope["headers"]:
            if name == b"host":
                shown = host_name(value.decode("latin-1"))
                if shown not in self.names:
                    raise FhirError(421, f"this server does not answer for the host name {shown[:100]!r} "
                                         f"(it answers {', '.join(sorted(self.names))}; see serve --allow-host)",
                                    code="security")
                return


async def _answer(send, e: FhirError) -> None:
    data = orjson.dumps(e.body)
    await send({"type": "http.response.start", "status": e.status, "headers": [
        (b"content-type", b"application/fhir+json; charset=utf-8"), (b"content-length", str(len(data)).encode()),
        (b"x-content-type-options", b"nosniff"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": data})


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _between(html: str, tag: str) -> str:
    return html.split(f"<{tag}>", 1)[1].split(f"</{tag}>", 1)[0]


def page_headers(html: str) -> dict[str, str]:
    """Headers for a page whose only script and style are its own inline <script> and <style>."""
    csp = (f"default-src 'none'; script-src {_hash(_between(html, 'script'))}; "
           f"style-src {_hash(_between(html, 'style'))}; connect-src 'self'; base-uri 'none'; "
           "form-action 'none'; frame-ancestors 'none'")
    return {"Content-Security-Policy": csp, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer"}


def page(html: str) -> HTMLResponse:
    return HTMLResponse(html, headers=page_headers(html))
