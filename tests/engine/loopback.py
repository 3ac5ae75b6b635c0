"""A small scripted HTTP server on 127.0.0.1 for engine tests: real sockets, canned answers per path.

routes: {"/path": (status, headers, body)} or a callable(handler) -> (status, headers, body); every
request is recorded (method, path, headers, body).
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

from tests.shared import http_server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):  # quiet
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        srv = self.server
        srv.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                             "body": body.decode("utf-8", "replace")})
        path = self.path.split("?")[0]
        route = srv.routes.get(path) or srv.routes.get("*")
        if route is None:
            status, headers, payload = 404, {}, {"resourceType": "OperationOutcome",
                                                 "issue": [{"severity": "error", "code": "not-found"}]}
        else:
            status, headers, payload = route(self) if callable(route) else route
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode() if payload is not None else b""
        self.send_response(status)
        headers = {"Content-Type": "application/fhir+json", **headers}
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer


def serve(routes: dict):
    """The server (tests/shared.py's http_server) answering routes; yields it (.base, .requests)."""
    return http_server(_Handler, routes=routes, requests=[])


def capability(version="5.0.0", resources=None, system=("transaction",)):
    resources = resources or {"ImagingStudy": (["read", "search-type", "create", "delete"], ["identifier"])}
    return {"resourceType": "CapabilityStatement", "status": "active", "date": "2024-01-01", "kind": "instance",
            "fhirVersion": version, "format": ["application/fhir+json"],
            "rest": [{"mode": "server", "interaction": [{"code": c} for c in system],
                      "resource": [{"type": t, "interaction": [{"code": i} for i in ints],
                                    "searchParam": [{"name": p, "type": "token"} for p in params]}
                                   for t, (ints, params) in resources.items()]}]}
