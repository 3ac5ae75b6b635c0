"""The output sink: every string bound for the console, a report or a log passes through here.

The Bus hands each event to the sink (`Sink.scrub`, a deep copy with every string cleaned) before any
subscriber sees it, so whatever produced a string (a transcript, an assertion or FHIRPath message, a
search-oracle message, a generated case title, a header name) it leaves the harness cleaned:

1. every configured secret value is replaced with ``***``, and so are its common encodings: URL
   encoding (upper- and lower-case hex, ``+`` for space), base64 and URL-safe base64 at any of the
   three byte alignments it can have inside a longer encoded text, JSON and HTML escaping; for a
   ``Scheme credentials`` value also the credentials alone, and for ``Basic`` the decoded
   ``user:pass`` and the password. Derived forms shorter than 6 characters are not redacted (they
   would erase ordinary words); configured values always are.
2. text is made printable and encodable: C0 and C1 control characters (except tab and newline),
   DEL, the bidirectional overrides, lone surrogates (valid in JSON text, not encodable as UTF-8)
   and U+FFFE/U+FFFF (not allowed in XML) become visible escapes such as ``\\x1b``, ``\\x9b``,
   ``\\u202e``, ``\\ud800``. Nothing the server sends can move a terminal's cursor, set its title,
   ring its bell or stop a report being written.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import html
import json
import logging
import re
from typing import Iterable
from urllib.parse import quote, quote_plus

REDACTED = "***"
_PERCENT = re.compile("%[0-9A-F]{2}")
MIN_DERIVED = 6  # shortest derived form redacted

# C0 but tab and newline, DEL, C1, bidi embeddings/overrides/isolates, surrogates, and the two
# non-characters XML 1.0 forbids (a JUnit file with U+FFFF in it cannot be parsed)
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def _escape(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def printable(text: str) -> str:
    """Control characters, bidi overrides and lone surrogates as visible escapes (tab, newline kept)."""
    return _UNPRINTABLE.sub(_escape, text)


def _b64_fragments(raw: bytes) -> set[str]:
    """The base64 characters that depend on raw alone, at each byte alignment within a longer text."""
    out = set()
    for k in range(3):
        for enc in (base64.b64encode, base64.urlsafe_b64encode):
            text = enc(b"\0" * k + raw).decode("ascii")
            start = -(-8 * k // 6)  # ceil: the first character made of raw's bits only
            out.add(text[start:8 * (k + len(raw)) // 6])
    return out


def secret_forms(value: str) -> set[str]:
    """A secret value and the forms a server may send it back in."""
    if not value:
        return set()
    plain = {value}
    scheme, _, credentials = value.partition(" ")
    credentials = credentials.strip()
    if credentials:
        plain.add(credentials)
        if scheme.lower() == "basic":
            try:
                user_pass = base64.b64decode(credentials, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                user_pass = ""
            plain |= {user_pass, user_pass.partition(":")[2]} - {""}  # user:pass, and the password
    out = set(plain)
    for p in plain:
        encoded = {quote(p, safe=""), quote(p), quote_plus(p)}
        out |= encoded | {_PERCENT.sub(lambda m: m.group().lower(), e) for e in encoded}
        out |= {json.dumps(p, ensure_ascii=False)[1:-1], json.dumps(p)[1:-1], html.escape(p)}
        raw = p.encode("utf-8")
        out |= {base64.b64encode(raw).decode("ascii"), base64.urlsafe_b64encode(raw).decode("ascii")}
        out |= _b64_fragments(raw)
    out = {f for f in out if len(f) >= MIN_DERIVED}
    out.add(value)
    return out


class Sink:
    """Redaction of the configured secrets plus printable text; scrub() cleans whole values."""

    def __init__(self, secrets: Iterable[str] = ()):
        forms: set[str] = set()
        for s in secrets:
            forms |= secret_forms(s)
        self.forms = frozenset(forms)
        self._memo: dict[int, tuple] = {}
        # longest first, so a secret inside a longer form is replaced as part of it
        self._pattern = re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))) \
            if forms else None

    def redact(self, text: str | None) -> str | None:
        """Every secret form replaced (text stays otherwise as it was)."""
        if text is None or self._pattern is None:
            return text
        return self._pattern.sub(REDACTED, text)

    def text(self, text: str) -> str:
        """What an output may show: redacted, then printable."""
        return printable(self.redact(text))

    def scrub(self, value):
        """A copy of value with every string in it (dict keys, dataclass fields, …) passed through text();
        values with nothing to change are returned as they are."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            out = {self.scrub(k): self.scrub(v) for k, v in value.items()}
            return value if _same(out, value) else out
        if isinstance(value, (list, tuple, set, frozenset)):
            items = [self.scrub(v) for v in value]
            if all(a is b for a, b in zip(items, value)) and not isinstance(value, (set, frozenset)):
                return value
            return type(value)(items)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            frozen = type(value).__dataclass_params__.frozen
            if frozen:  # immutable: a step scrubbed for StepFinished is not scrubbed again for the run
                seen = self._memo.get(id(value))
                if seen is not None and seen[0] is value:
                    return seen[1]
            changes = {}
            for f in dataclasses.fields(value):
                if f.init:
                    old = getattr(value, f.name)
                    new = self.scrub(old)
                    if new is not old:
                        changes[f.name] = new
            out = dataclasses.replace(value, **changes) if changes else value
            if frozen:
                self._memo[id(value)] = (value, out)  # the value is kept, so its id is not reused
            return out
        return value


def _same(a: dict, b: dict) -> bool:
    return all(ka is kb and va is vb for (ka, va), (kb, vb) in zip(a.items(), b.items()))


class PrintableLogs(logging.Filter):
    """A logging filter that makes each record printable before any handler formats it: the message
    with its arguments (a request path, a header) and the traceback text. Attached to a logger whose
    records may carry text a client or server controls."""

    def filter(self, record: logging.LogRecord) -> bool:
        # one record, one line: a newline in a request path must not forge a second log line
        record.msg, record.args = printable(record.getMessage()).replace("\n", "\\n"), None
        if record.exc_info and not record.exc_text:
            record.exc_text = printable(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = printable(record.stack_info)
        return True
