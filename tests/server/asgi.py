"""An ASGI app called in process, as a server would call it: thousands of requests a second, no sockets.

One event loop per client; each call builds the scope from raw parts (bytes of the path and query,
headers as given), sends the body in one message, and collects the answer. A receive after the body
waits until the answer is complete and then reports a disconnect, as a client that closed would.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import unquote


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names, the last of repeated ones
    body: bytes
    seconds: float = 0.0  # wall clock of the call


class Client:
    def __init__(self, app, host: str = "localhost:8080") -> None:
        self.app, self.host = app, host
        self.loop = asyncio.new_event_loop()

    def close(self) -> None:
        self.loop.close()

    def call(self, method: str, path: str | bytes, query: bytes = b"", headers=(), body: bytes = b"",
             host: str | None = None) -> Answer:
        start = time.monotonic()
        answer = self.loop.run_until_complete(self._call(method, path, query, list(headers), body, host))
        answer.seconds = time.monotonic() - start
        return answer

    async def _call(self, method, path, query, headers, body, host) -> Answer:
        raw = path if isinstance(path, bytes) else path.encode("utf-8", "surrogatepass")
        names = {k.lower() for k, _ in headers}
        if "host" not in names:
            headers.append(("host", host or self.host))
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": unquote(raw.decode("latin-1")), "raw_path": raw,
                 "query_string": query, "root_path": "", "client": ("127.0.0.1", 50000),
                 "server": ("127.0.0.1", 8080),
                 "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]}
        done = asyncio.Event()
        sent = False

        async def receive():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        out: dict = {"body": b""}

        async def send(message):
            if message["type"] == "http.response.start":
                out["status"] = message["status"]
                out["headers"] = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message["headers"]}
            elif message["type"] == "http.response.body":
                out["body"] += message.get("body", b"")
                if not message.get("more_body", False):
                    done.set()

        await self.app(scope, receive, send)
        return Answer(out["status"], out["headers"], out["body"])
