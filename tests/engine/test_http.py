"""The one HTTP client: timeouts, size cap, redirects, redaction, read-only guard (real loopback sockets)."""

from __future__ import annotations

import time

import pytest

from harness.engine.http import Client, ClientConfig, ReadOnlyViolation, TransportError

from .loopback import serve

TOKEN = "s3cr3t-t0ken-value"


def test_token_sent_but_redacted_in_transcript():
    with serve({"/x": (200, {}, {"resourceType": "Patient", "id": "p", "note": TOKEN})}) as srv:
        c = Client(ClientConfig(srv.base, token=TOKEN, headers={"X-Api-Key": "k3y-value"}))
        log = c.start_log()
        r = c.request("GET", "x", query={"token": TOKEN})
        c.stop_log()
    assert srv.requests[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    text = log[0].text()
    assert r.status == 200 and TOKEN not in text and "k3y-value" not in text and "***" in text


def test_read_timeout():
    def slow(h):
        time.sleep(1.5)
        return 200, {}, {}
    with serve({"/slow": slow}) as srv:
        c = Client(ClientConfig(srv.base, read_timeout=0.3))
        with pytest.raises(TransportError, match="read timeout"):
            c.request("GET", "slow")


def test_connection_refused():
    with serve({}) as srv:
        base = srv.base
    with pytest.raises(TransportError, match=r"cannot connect to 127\.0\.0\.1:\d+: the connection was refused") as e:
        Client(ClientConfig(base, connect_timeout=1)).request("GET", "metadata")
    assert "HTTPConnection" not in str(e.value) and "Errno" not in str(e.value)  # not urllib3's text


def test_unresolvable_host_is_one_plain_sentence():
    with pytest.raises(TransportError) as e:
        Client(ClientConfig("http://no-such-host.invalid:8080/fhir", connect_timeout=1)).request("GET", "metadata")
    assert str(e.value) == "cannot connect to no-such-host.invalid:8080: the host name no-such-host.invalid does not resolve"


def test_size_cap():
    with serve({"/big": (200, {}, b"x" * 200_000)}) as srv:
        c = Client(ClientConfig(srv.base, max_bytes=50_000))
        with pytest.raises(TransportError, match="larger than 50000 bytes"):
            c.request("GET", "big")


def test_redirect_to_other_host_not_followed():
    with serve({"/r": (302, {"Location": "http://127.0.0.2:9/steal"}, None)}) as srv:
        c = Client(ClientConfig(srv.base, token=TOKEN))
        with pytest.raises(TransportError, match="another origin"):
            c.request("GET", "r")
        assert len(srv.requests) == 1


def test_same_origin_redirect_followed_and_loop_bounded():
    with serve({"/a": (302, {"Location": "/b"}, None), "/b": (200, {}, {"resourceType": "Patient"}),
                "/loop": (302, {"Location": "/loop"}, None)}) as srv:
        c = Client(ClientConfig(srv.base))
        assert c.request("GET", "a").json() == {"resourceType": "Patient"}
        with pytest.raises(TransportError, match="redirects"):
            c.request("GET", "loop")


def test_read_only_guard():
    with serve({"*": (200, {}, {"resourceType": "Bundle", "type": "searchset"})}) as srv:
        c = Client(ClientConfig(srv.base, read_only=True))
        c.request("GET", "ImagingStudy")
        c.request("POST", "ImagingStudy/_search", body="")
        for m in ("POST", "PUT", "DELETE"):
            with pytest.raises(ReadOnlyViolation):
                c.request(m, "ImagingStudy/1", body={"resourceType": "ImagingStudy"})
        assert [r["method"] for r in srv.requests] == ["GET", "POST"]


def test_a_read_survives_a_keep_alive_connection_the_server_drops():
    """The server drops a reused keep-alive connection without answering (the race when its
    keep-alive timeout passes just as a request arrives): a GET is resent once on a fresh
    connection and succeeds; a POST is never resent."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen = []

    class DropReused(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self):
            self.served = getattr(self, "served", 0) + 1
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            seen.append(self.command)
            if self.served > 1:  # a reused connection: drop it unanswered
                self.close_connection = True
                return
            body = json.dumps({"resourceType": "Patient", "id": "p"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = answer

    srv = ThreadingHTTPServer(("127.0.0.1", 0), DropReused)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        c = Client(ClientConfig(f"http://127.0.0.1:{srv.server_address[1]}"))
        assert [c.request("GET", "x").status for _ in range(4)] == [200] * 4
        seen.clear()
        with pytest.raises(TransportError):
            c.request("POST", "x", body={"resourceType": "Patient"})  # lands on the reused connection
        assert seen == ["POST"]
    finally:
        srv.shutdown()
        srv.server_close()
