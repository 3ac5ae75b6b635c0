"""The reference server without a socket, for the engine's tests that only need its answers.

`in_process(version, faults)` creates the reference server's ASGI app, mounts it on the harness's one
HTTP client (harness.engine.http.mounted) behind a base URL that names no host on any network
(`.invalid`, RFC 6761), and yields that URL; every client the engine makes inside the block reaches the
app through `ASGITransport`, which calls it in process (tests/server/asgi.py) instead of over TCP. The
server's own tests keep real HTTP on loopback (tests/server), as do the tests of what sockets do
(tests/reliability).
"""

from __future__ import annotations

import io
import itertools
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from harness.engine.http import mounted
from harness.server.app import create_app
from tests.server.asgi import Client

HOST = "inprocess.invalid"
_ports = itertools.count(1)


class ASGITransport(BaseAdapter):
    """A requests transport adapter that answers each request by calling an ASGI app in process (one
    call at a time: the engine's worker threads take turns on the app's event loop)."""

    def __init__(self, app) -> None:
        super().__init__()
        self.client = Client(app)
        self.lock = threading.Lock()

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None) -> requests.Response:
        url = urlsplit(request.url)
        body = request.body or b""
        with self.lock:
            answer = self.client.call(request.method, url.path or "/", url.query.encode("latin-1"),
                                      list(request.headers.items()),
                                      body.encode("utf-8") if isinstance(body, str) else body, host=url.netloc)
        response = requests.Response()
        response.status_code = answer.status
        response.reason = _reason(answer.status)
        response.headers = CaseInsensitiveDict(answer.headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = io.BytesIO(answer.body)
        response.url, response.request = request.url, request
        return response

    def close(self) -> None:
        pass


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # a code HTTP does not name
        return ""


@contextmanager
def in_process(version: str = "r5", faults: Iterable[str] = ()) -> Iterator[str]:
    """The reference server (`version`, with `faults`) behind a base URL served in process; stopped on exit."""
    app = create_app(version, None, faults, hosts=(HOST,))
    base = f"http://{HOST}:{next(_ports)}"
    transport = ASGITransport(app)
    try:
        with mounted(base + "/", transport):
            yield base
    finally:
        transport.client.close()
        app.state.server.close()
