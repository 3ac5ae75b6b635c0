"""A hostile reverse proxy (stdlib http.server, loopback) in front of the reference server.

It forwards every request upstream and spoils the answer, one way per mode:

- ``echo``: echoes the request's header values back into response headers (``Content-Type``
  parameters, ``ETag``, ``Location``, a header whose *name* carries a value), into bodies
  (``CapabilityStatement.software.name``, ``OperationOutcome`` diagnostics, every ``id`` it returns,
  with the Locations, fullUrls and references that name them, so they agree), also base64-encoded
  and, for ``Basic`` credentials, decoded; and answers each first GET with a same-origin redirect
  whose query carries the ``Authorization`` value URL-encoded.
- ``control``: puts a lone surrogate (as the JSON escape ``\\ud800``: valid JSON text), C0 and C1
  controls, ESC/CSI/OSC sequences, BEL and a bidi override into the CapabilityStatement, every free
  text field (``description``, ``name.text``, diagnostics), identifier values, ids of search results
  and headers (``Content-Type`` parameters, ``ETag``, a header of its own).

What it adds to ids and queries it removes again from requests before they go upstream, so the run
itself still works. Every request it receives is recorded (tests/proxy.py's Request).
"""

from __future__ import annotations

import base64
import json
import re
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import quote, unquote

from requests.structures import CaseInsensitiveDict

from tests.proxy import Reply, Request, forwarding_proxy
from tests.shared import resources

#: what the control mode injects: lone surrogate, markup, OSC window title ended by BEL, CSI clear
#: screen and colour, a C1 CSI, NUL, BEL, backspace, carriage return, DEL, a right-to-left override
#: and U+FFFF (not allowed in XML)
MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>"
NASTY = f"\ud800{MARKUP}<\x1b]0;owned\x07\x1b[2J\x1b[31m\x9b1m\x00\x07\x08\r\x7f\u202e\uffff>"
#: the same for HTTP headers (latin-1 only: no surrogate, no RLO, no CR/NUL which http.server refuses)
NASTY_HEADER = "<\x1b]0;owned\x07\x1b[31m\x9b1m\x07\x7f>"
ID_MARK = "-hx9"  # what the control mode appends to ids before the hostile characters


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


class _Hostile:
    """The hooks of the forwarding proxy (tests/proxy.py) for one mode."""

    def __init__(self, mode: str, id_echo: str | None) -> None:
        self.mode, self.id_echo = mode, id_echo

    def on_request(self, req: Request) -> Reply | None:
        if self.mode == "echo":
            if req.method == "GET" and "echo=" not in req.path:
                auth = req.headers.get("Authorization") or ""
                target = req.path + ("&" if "?" in req.path else "?") + "echo=" + quote(auth, safe="")
                return Reply(302, b"", CaseInsensitiveDict({"Location": target}))
            req.path = re.sub(r"[?&]echo=[^&]*", "", req.path)
        req.path, req.body = self.unspoil(req.path), self.unspoil_bytes(req.body)
        req.headers = {k: self.unspoil(v) for k, v in req.headers.items()}
        return None

    def on_response(self, req: Request, reply: Reply) -> None:
        parsed = None
        if reply.body:
            try:
                parsed = json.loads(reply.body)
            except ValueError:
                pass
        if self.mode == "echo":
            self._echo(list(req.headers.values()), reply.headers, parsed)
        else:
            self._control(reply.headers, parsed)
        if parsed is not None:
            reply.body = json.dumps(parsed).encode()  # ensure_ascii: a lone surrogate travels as \ud800

    def unspoil(self, text: str) -> str:
        """Remove what this proxy added to ids, whatever way the client encoded it."""
        if self.id_echo:
            text = text.replace(f"-{self.id_echo}", "")
        if self.mode == "control":
            text = unquote(text) if "%" in text and ID_MARK in unquote(text) else text
            text = re.sub(re.escape(ID_MARK) + r"[^/?&\"]*", "", text)
        return text

    def unspoil_bytes(self, body: bytes) -> bytes:
        return self.unspoil(body.decode("utf-8", "surrogatepass")).encode("utf-8", "surrogatepass") if body else body

    def _echo(self, values, out, parsed):
        joined = " | ".join(values)
        basic = [base64.b64decode(v.split(" ", 1)[1]).decode() for v in values if v.lower().startswith("basic ")]
        echo = f"{joined} | b64={_b64(joined)} | basic={','.join(basic)}"
        ctype = out.get("Content-Type", "application/fhir+json")
        out["Content-Type"] = f'{ctype}; echo="{joined}"'
        if "ETag" in out:
            out["ETag"] = out["ETag"][:-1] + " " + joined + '"'
        if "Location" in out:
            out["Location"] = self._echo_ref(out["Location"]) + "?echo=" + quote(joined, safe="")
        for v in values:
            if re.fullmatch(r"[A-Za-z0-9\-.]+", v):  # a valid header name: echoed as a name too
                out[f"X-Echo-{v}"] = "1"
        out["X-Echo-B64"] = _b64(joined)
        out["X-Echo-Basic"] = ",".join(basic)
        for res in resources(parsed):
            if res.get("resourceType") == "CapabilityStatement":
                res.setdefault("software", {})["name"] = f"echo {echo}"
            elif isinstance(res.get("id"), str) and self.id_echo:
                res["id"] = f"{res['id']}-{self.id_echo}"
            for issue in res.get("issue") or []:
                if isinstance(issue, dict):
                    issue["diagnostics"] = f"{issue.get('diagnostics', '')} echo {echo}"
        if self.id_echo:  # ids, Locations, fullUrls and references agree: the run goes on
            _walk_refs(parsed, self._echo_ref)

    def _echo_ref(self, ref: str) -> str:
        """Type/id (also inside a URL, before /_history) with the echoed value appended to the id."""
        if not self.id_echo:
            return ref
        return re.sub(r"((?:^|/)[A-Z][A-Za-z]+/)([A-Za-z0-9\-.]{1,64})(?=$|/|\?)",
                      lambda m: m.group(1) + m.group(2) + f"-{self.id_echo}", ref, count=1)

    def _control(self, out, parsed):
        out["Content-Type"] = out.get("Content-Type", "application/fhir+json") + f'; note="{NASTY_HEADER}"'
        if "ETag" in out:
            out["ETag"] = out["ETag"][:-1] + NASTY_HEADER + '"'
        out["X-Note"] = NASTY_HEADER
        for res in resources(parsed):
            if res.get("resourceType") == "CapabilityStatement":
                res.setdefault("software", {})["name"] = f"srv{NASTY}"
                continue
            for key in ("description", "diagnostics"):
                if isinstance(res.get(key), str):
                    res[key] += NASTY
            for name in res.get("name") or []:
                if isinstance(name, dict):
                    name["text"] = f"{name.get('text', '')}{NASTY}"
            for ident in res.get("identifier") or []:  # the search oracle builds queries from these
                if isinstance(ident, dict) and isinstance(ident.get("value"), str):
                    ident["value"] += NASTY
            for issue in res.get("issue") or []:
                if isinstance(issue, dict):
                    issue["diagnostics"] = f"{issue.get('diagnostics', '')}{NASTY}"
        if isinstance(parsed, dict) and parsed.get("type") == "searchset":
            for e in parsed.get("entry") or []:  # search results: ids carry controls too
                res = (e or {}).get("resource")
                if isinstance(res, dict) and isinstance(res.get("id"), str):
                    res["id"] += ID_MARK + NASTY


def _walk_refs(node, change):
    """Apply change to every reference, fullUrl and location string in a parsed body."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("reference", "fullUrl", "location") and isinstance(v, str):
                node[k] = change(v)
            else:
                _walk_refs(v, change)
    elif isinstance(node, list):
        for v in node:
            _walk_refs(v, change)




@contextmanager
def hostile_proxy(upstream: str, mode: str, id_echo: str | None = None) -> Iterator[tuple[str, list[Request]]]:
    """Yield (base URL, requests as received). id_echo: a secret value (id-safe) appended to every id."""
    hooks = _Hostile(mode, id_echo)
    with forwarding_proxy(upstream, hooks.on_request, hooks.on_response) as proxy:
        yield proxy.base, proxy.seen
