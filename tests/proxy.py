"""One forwarding HTTP proxy (stdlib http.server, loopback) for the tests that put something between
the harness and the reference server: a recorder, a rewriter of creates, a hostile echoer.

Every request is recorded as received, may be changed or answered by `on_request`, is forwarded
upstream (no redirect followed), and its answer, with the upstream's URL replaced by the proxy's own in
the body and the headers, may be changed by `on_response` before it is sent back.
"""

from __future__ import annotations

from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Callable, Iterator

import requests
from requests.structures import CaseInsensitiveDict

from tests.shared import http_server

#: hop-by-hop and framing headers the proxy sets itself
_FRAMING = ("content-length", "transfer-encoding", "connection", "content-encoding")


@dataclass
class Request:
    """A request as the proxy received it (headers without Host and Content-Length)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    base: str  # the proxy's own base URL, as the client addressed it


@dataclass
class Reply:
    """An answer to send: headers case-insensitive (setting "ETag" replaces an upstream "etag")."""

    status: int
    body: bytes = b""
    headers: CaseInsensitiveDict = field(default_factory=CaseInsensitiveDict)


#: on_request(request) -> None (forward the request, which it may change) or a Reply (sent instead)
OnRequest = Callable[[Request], "Reply | None"]
#: on_response(request as received, reply) changes the reply in place
OnResponse = Callable[[Request, Reply], None]


@dataclass
class Proxy:
    base: str
    upstream: str
    seen: list[Request]  # every request, as received


@contextmanager
def forwarding_proxy(upstream: str, on_request: OnRequest | None = None,
                     on_response: OnResponse | None = None) -> Iterator[Proxy]:
    """Start the proxy on a free loopback port in front of upstream; yield it; stop it on exit."""
    upstream = upstream.rstrip("/")
    seen: list[Request] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):  # quiet
            pass

        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            received = Request(self.command, self.path,
                               {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")},
                               self.rfile.read(length) if length else b"", proxy.base)
            seen.append(received)
            sent = deepcopy(received)
            reply = on_request(sent) if on_request else None
            if reply is None:
                r = requests.request(sent.method, upstream + sent.path, data=sent.body or None, headers=sent.headers,
                                     timeout=30, allow_redirects=False)
                reply = Reply(r.status_code, r.content.replace(upstream.encode(), proxy.base.encode()),
                              CaseInsensitiveDict({k: v.replace(upstream, proxy.base) for k, v in r.headers.items()
                                                   if k.lower() not in _FRAMING}))
                if on_response:
                    on_response(received, reply)
            self.send_response(reply.status)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = forward

    with http_server(Handler) as srv:
        proxy = Proxy(srv.base, upstream, seen)
        yield proxy
