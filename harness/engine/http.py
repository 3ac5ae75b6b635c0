"""The one HTTP client the harness sends everything through.

Explicit connect/read timeouts on every request, a cap on the bytes read from a response, redirects
followed only on the same origin (never to another host, so credentials never leave it), a read-only
guard, credential redaction and a transcript of every exchange for the reports.

The network is one transport among others (httpx's pattern): `mounted(prefix, transport)` sends the
requests under a URL prefix through a requests transport adapter instead, such as an ASGI app called
in process by the tests; everything above the transport (redirects, caps, redaction, the transcript)
stays the same.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import unquote, urlencode, urljoin, urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3.util.retry import Retry

from harness.engine.sink import REDACTED, Sink

SECRET_HEADERS = {"authorization", "cookie", "set-cookie", "proxy-authorization", "x-api-key"}
MAX_REDIRECTS = 5
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
RETRY_STATUSES = (429, 503)  # answered with Retry-After: the server asks to be asked again
MAX_RETRIES = 2
MAX_RETRY_AFTER = 10.0  # seconds; a longer wait is not honoured (the answer is reported as it is)
#: URL prefix -> the transport adapter every new session sends those URLs through (see `mounted`)
TRANSPORTS: dict[str, BaseAdapter] = {}


class TransportError(Exception):
    """The exchange did not complete (refused, timeout, reset, size cap, redirect refused)."""


class UnsafeUrl(TransportError):
    """A URL the harness refuses to send: a dot-segment ('.', '..', also percent-encoded) in its path,
    which would address something other than what it names (RFC 3986 section 5.2.4)."""


class ReadOnlyViolation(Exception):
    """A write was attempted on a read-only run."""


@dataclass(frozen=True)
class Exchange:
    """One request and its response, already redacted; what reports show."""

    method: str
    url: str
    request_headers: dict
    request_body: str | None
    status: int | None
    response_headers: dict
    response_body: str | None
    elapsed_ms: int
    error: str | None = None

    def as_dict(self) -> dict:
        return {"method": self.method, "url": self.url, "requestHeaders": self.request_headers,
                "requestBody": self.request_body, "status": self.status,
                "responseHeaders": self.response_headers, "responseBody": self.response_body,
                "elapsedMs": self.elapsed_ms, "error": self.error}

    def text(self) -> str:
        lines = [f"> {self.method} {self.url}"]
        lines += [f"> {k}: {v}" for k, v in self.request_headers.items()]
        if self.request_body:
            lines += ["", self.request_body]
        if self.error:
            lines.append(f"! {self.error}")
        else:
            lines.append(f"< {self.status}")
            lines += [f"< {k}: {v}" for k, v in self.response_headers.items()]
            if self.response_body:
                lines += ["", self.response_body]
        return "\n".join(lines)


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict  # case-insensitive lookups via header()
    body: bytes
    url: str
    exchange: Exchange

    def header(self, name: str) -> str | None:
        low = name.lower()
        for k, v in self.headers.items():
            if k.lower() == low:
                return v
        return None

    def json(self):
        """The parsed body, or None when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None


@dataclass
class ClientConfig:
    base_url: str
    token: str | None = None
    headers: dict = field(default_factory=dict)
    secret_headers: frozenset = frozenset()
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_bytes: int = DEFAULT_MAX_BYTES
    read_only: bool = False
    transcript_body_limit: int = 20000


class Client:
    """requests.Session wrapped: every request of the harness goes through `request`."""

    def __init__(self, config: ClientConfig):
        self.config = config
        self.base = config.base_url.rstrip("/")
        self._origin = _origin(self.base)
        self._local = threading.local()
        #: the one redaction of this run: the Bus passes every event through it (harness.engine.sink)
        self.sink = Sink(self._secret_values())

    def _secret_values(self):
        if self.config.token:
            yield self.config.token
        u = urlsplit(self.base)
        if u.password:  # http://user:pass@host/: sent as Basic credentials, so redacted as such
            yield "Basic " + base64.b64encode(f"{unquote(u.username or '')}:{unquote(u.password)}".encode()).decode()
            yield u.password
        for k, v in self.config.headers.items():
            if k.lower() in SECRET_HEADERS or k.lower() in self.config.secret_headers:
                yield v  # "Bearer abc": the sink also redacts "abc" (and for Basic, user:pass)

    @property
    def session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = self._local.session = requests.Session()
            s.trust_env = False
            # a pooled keep-alive connection the server closed while idle fails on reuse; a read is
            # resent once on a fresh connection (never a write: it may have been applied)
            retry = Retry(total=1, connect=1, read=1, status=0, redirect=0, other=0,
                          allowed_methods=frozenset({"GET", "HEAD"}), raise_on_status=False)
            adapter = HTTPAdapter(max_retries=retry)
            s.mount("http://", adapter)
            s.mount("https://", adapter)
            for prefix, transport in TRANSPORTS.items():
                s.mount(prefix, transport)
        return s

    def redact(self, text: str | None) -> str | None:
        return self.sink.redact(text)

    def url(self, path: str, query: dict | list | None = None) -> str:
        if path.startswith(("http://", "https://")):
            url = path
        else:
            url = f"{self.base}/{path.lstrip('/')}" if path else self.base
        tail = urlsplit(url[len(self.base):] if url.startswith(self.base + "/") else url).path
        if any(unquote(seg) in (".", "..") for seg in tail.split("/")):
            raise UnsafeUrl(f"refused to send a URL with a dot-segment in its path: {self.redact(url)}")
        if query:
            items = query.items() if isinstance(query, dict) else query
            pairs = []
            for k, v in items:
                for one in (v if isinstance(v, list) else [v]):
                    pairs.append((k, str(one)))
            url += ("&" if "?" in url else "?") + urlencode(pairs, safe=":|/,$")
        return url

    def request(self, method: str, path: str, *, query=None, headers: dict | None = None,
                body=None) -> Response:
        method = method.upper()
        try:
            url = self.url(path, query)
        except UnicodeEncodeError as e:
            raise TransportError(_unencodable("query", e)) from None
        if self.config.read_only and not _read_only_ok(method, url):
            raise ReadOnlyViolation(f"{method} {self.redact(url)} refused: read-only run")
        hdrs = {"Accept": "application/fhir+json"}
        if body is not None:
            hdrs["Content-Type"] = "application/fhir+json"
        hdrs.update(self.config.headers)
        if self.config.token:
            hdrs["Authorization"] = f"Bearer {self.config.token}"
        hdrs.update(headers or {})
        data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        if isinstance(data, str):
            try:
                data = data.encode("utf-8")
            except UnicodeEncodeError as e:
                raise TransportError(_unencodable("body", e)) from None
        for attempt in range(MAX_RETRIES + 1):
            start = time.monotonic()
            try:
                resp = self._send(method, url, hdrs, data, start)
            except TransportError as e:
                self._record(method, url, hdrs, data, None, {}, b"", start, str(e))
                raise
            wait = _retry_after(resp) if method in ("GET", "HEAD") and resp.status in RETRY_STATUSES else None
            if wait is None or attempt == MAX_RETRIES:
                return resp
            time.sleep(wait)  # idempotent read, bounded wait, bounded attempts
        return resp

    def read(self, ref: str) -> dict | None:
        """GET a resource by reference: the JSON object on 200, None otherwise (never raises)."""
        try:
            r = self.request("GET", ref)
        except TransportError:
            return None
        body = r.json() if r.status == 200 else None
        return body if isinstance(body, dict) else None

    def _send(self, method, url, hdrs, data, start) -> Response:
        for _ in range(MAX_REDIRECTS + 1):
            if _origin(url) != self._origin:
                raise TransportError(f"refused to send to another origin: {self.redact(url)}")
            try:
                r = self.session.request(method, url, headers=hdrs, data=data, stream=True,
                                         allow_redirects=False,
                                         timeout=(self.config.connect_timeout, self.config.read_timeout))
                body = self._read_capped(r)
            except requests.exceptions.ConnectTimeout:
                raise TransportError(f"connect timeout after {self.config.connect_timeout}s") from None
            except requests.exceptions.ReadTimeout:
                raise TransportError(f"read timeout after {self.config.read_timeout}s") from None
            except requests.exceptions.ConnectionError as e:
                if "timed out" in str(e).lower():  # the body stalled after the headers arrived
                    raise TransportError(f"read timeout after {self.config.read_timeout}s while reading "
                                         "the response body") from None
                raise TransportError(self.redact(connection_problem(e, url))) from None
            except requests.exceptions.RequestException as e:
                raise TransportError(f"request failed: {self.redact(_short(e))}") from None
            except UnicodeError as e:  # a path or header value that HTTP cannot carry
                raise TransportError(_unencodable("path or headers", e)) from None
            if r.status_code in (301, 302, 303, 307, 308) and r.headers.get("Location"):
                target = urljoin(url, r.headers["Location"])
                if _origin(target) != self._origin:
                    raise TransportError(f"redirect to another origin not followed: {self.redact(target)}")
                if r.status_code == 303:
                    method, data = "GET", None
                url = target
                continue
            headers = dict(r.headers)
            ex = self._record(method, url, hdrs, data, r.status_code, headers, body, start, None)
            return Response(r.status_code, headers, body, url, ex)
        raise TransportError(f"more than {MAX_REDIRECTS} redirects")

    def _read_capped(self, r: requests.Response) -> bytes:
        chunks, size = [], 0
        try:
            for chunk in r.iter_content(65536):
                size += len(chunk)
                if size > self.config.max_bytes:
                    raise TransportError(f"response larger than {self.config.max_bytes} bytes; not read further")
                chunks.append(chunk)
        finally:
            r.close()
        return b"".join(chunks)

    def _record(self, method, url, hdrs, data, status, rheaders, body, start, error) -> Exchange:
        lim = self.config.transcript_body_limit

        def txt(b):
            if not b:
                return None
            s = b.decode("utf-8", "replace")
            return self.redact(s[:lim] + (f"\n… ({len(s) - lim} more characters)" if len(s) > lim else ""))

        ex = Exchange(method, self.redact(url), self._redact_headers(hdrs), txt(data), status,
                      self._redact_headers(rheaders), txt(body), int((time.monotonic() - start) * 1000),
                      self.redact(error))
        log = getattr(self._local, "log", None)
        if log is not None:
            log.append(ex)
        return ex

    def _redact_headers(self, headers: dict) -> dict:
        out = {}
        for k, v in headers.items():
            secret = k.lower() in SECRET_HEADERS or k.lower() in self.config.secret_headers
            out[k] = REDACTED if secret else self.redact(str(v))
        return out

    def start_log(self) -> list:
        """Begin a transcript for the current thread; returns the list exchanges are appended to."""
        self._local.log = []
        return self._local.log

    def stop_log(self) -> None:
        self._local.log = None


@contextmanager
def mounted(prefix: str, transport: BaseAdapter) -> Iterator[None]:
    """Within the block, clients made send every URL starting with prefix (end it with "/") through
    transport (a requests transport adapter) instead of the network."""
    TRANSPORTS[prefix] = transport
    try:
        yield
    finally:
        TRANSPORTS.pop(prefix, None)


def _retry_after(resp: "Response") -> float | None:
    """Seconds the server asked to wait (Retry-After as delta-seconds), if small enough to honour."""
    value = resp.header("Retry-After")
    try:
        wait = float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP-date: not honoured, the answer stands
    return wait if wait is not None and 0 <= wait <= MAX_RETRY_AFTER else None


def _origin(url: str) -> tuple:
    u = urlsplit(url)
    port = u.port or (443 if u.scheme == "https" else 80)
    return (u.scheme.lower(), (u.hostname or "").lower(), port)


def _read_only_ok(method: str, url: str) -> bool:
    if method in ("GET", "HEAD"):
        return True
    return method == "POST" and urlsplit(url).path.rstrip("/").endswith("/_search")


def _causes(e: BaseException) -> list[BaseException]:
    """e and what it wraps (requests wraps urllib3, which wraps the socket's OSError)."""
    seen, todo = [], [e]
    while todo:
        x = todo.pop(0)
        if any(x is y for y in seen):
            continue
        seen.append(x)
        todo += [n for n in (getattr(x, "reason", None), x.__cause__, x.__context__, *getattr(x, "args", ()))
                 if isinstance(n, BaseException)]
    return seen


def connection_problem(e: BaseException, url: str) -> str:
    """One plain sentence for a connection that could not be made (never the library's own text)."""
    u = urlsplit(url)
    where = f"{u.hostname}:{u.port or (443 if u.scheme == 'https' else 80)}"
    causes = _causes(e)
    if any(isinstance(x, socket.gaierror) for x in causes):
        return f"cannot connect to {where}: the host name {u.hostname} does not resolve"
    if any(isinstance(x, ssl.SSLError) for x in causes):
        reason = next(getattr(x, "reason", None) or str(x) for x in causes if isinstance(x, ssl.SSLError))
        return f"cannot connect to {where}: the TLS handshake failed ({reason})"
    for kind, words in ((ConnectionRefusedError, "the connection was refused (nothing listens there)"),
                        (ConnectionResetError, "the connection was reset"),
                        (TimeoutError, "the connection timed out")):
        if any(isinstance(x, kind) for x in causes):
            return f"cannot connect to {where}: {words}"
    oserror = next((x for x in causes if isinstance(x, OSError) and x.strerror), None)
    if oserror is not None:
        return f"cannot connect to {where}: {oserror.strerror.lower()}"
    return f"cannot connect to {where}: the connection failed ({type(causes[-1]).__name__})"


def _unencodable(part: str, e: UnicodeError) -> str:
    """Why a request was not sent: text in it (typically from the server: a lone surrogate is valid JSON
    text) has no encoding HTTP can carry."""
    bad = getattr(e, "object", "")[getattr(e, "start", 0):getattr(e, "end", 0)]
    return (f"request not sent: its {part} contains {bad!r}, which cannot be encoded as UTF-8 "
            f"(text taken from a server response?)")


def _short(e: Exception) -> str:
    s = str(e)
    return s if len(s) < 300 else s[:300] + "…"
