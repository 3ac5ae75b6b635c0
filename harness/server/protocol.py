"""uvicorn's HTTP protocols (h11, httptools) as both servers run them, with two changes at the wire:

- a request whose header block has not arrived REQUEST_TIMEOUT seconds after its first byte is
  dropped (uvicorn waits for it forever: 300 stalled half-requests held 300 connections open); the
  body has its own timeout in the app (limits.read_body, answered 408);
- what uvicorn answers with a plain-text 400 (a request line or header block it cannot parse, or one
  longer than its parser takes, e.g. a 100 KB URL under httptools) is an OperationOutcome.

`http_class(name)` gives the class to pass as uvicorn's `http` setting (serve, serve --workers and
the embedded server all do).
"""

from __future__ import annotations

import asyncio

import orjson

from harness.server.limits import BODY_TIMEOUT
from harness.validation.outcome import outcome


def _error_body(msg: str) -> bytes:
    return orjson.dumps(outcome(f"the request is not HTTP/1.1 this server can read: {msg} (the URL "
                                f"and headers must be well formed and at most 64 KB)", code="structure"))


class _Guarded:
    """Mixed in before uvicorn's protocol class."""

    request_timeout = BODY_TIMEOUT
    _header_timer: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        if self.cycle is not None and not self.cycle.response_complete:  # type: ignore[attr-defined]
            self._stop_header_timer()  # the headers are in: the app and its body timeout take over
        elif self._header_timer is None and not self.transport.is_closing():  # type: ignore[attr-defined]
            self._header_timer = self.loop.call_later(self.request_timeout, self._headers_late)  # type: ignore

    def connection_lost(self, exc) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)  # type: ignore[misc]

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.cycle is None or self.cycle.response_complete:  # type: ignore[attr-defined]
            self.transport.close()  # type: ignore[attr-defined]


def http_class(name: str, request_timeout: float = BODY_TIMEOUT) -> type:
    """uvicorn's `name` protocol ("h11" or "httptools") with the changes in the module doc."""
    if name == "httptools":
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base

        def send_400_response(self, msg: str) -> None:
            data = _error_body(msg)
            self.transport.write(b"".join([
                b"HTTP/1.1 400 Bad Request\r\n", b"content-type: application/fhir+json; charset=utf-8\r\n",
                b"content-length: " + str(len(data)).encode() + b"\r\n", b"connection: close\r\n\r\n", data]))
            self.transport.close()
    else:
        import h11
        from uvicorn.protocols.http.h11_impl import H11Protocol as base

        def send_400_response(self, msg: str) -> None:
            data = _error_body(msg)
            headers = [(b"content-type", b"application/fhir+json; charset=utf-8"),
                       (b"content-length", str(len(data)).encode()), (b"connection", b"close")]
            for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                          h11.Data(data=data), h11.EndOfMessage()):
                self.transport.write(self.conn.send(event))
            self.transport.close()

    return type(f"Guarded{base.__name__}", (_Guarded, base),
                {"send_400_response": send_400_response, "request_timeout": request_timeout})
