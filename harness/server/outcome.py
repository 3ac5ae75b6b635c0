"""The error type every handler raises to answer with an OperationOutcome (built by
harness/validation/outcome.py), and the JSON bytes of an answer."""

from __future__ import annotations

import json

import orjson

from harness.validation.outcome import outcome

_DEFAULT_CODE = {400: "invalid", 404: "not-found", 405: "not-supported", 406: "not-supported",
                 409: "conflict", 410: "deleted", 412: "conflict", 413: "too-long", 415: "not-supported",
                 422: "processing", 500: "exception"}


class FhirError(Exception):
    """Raised anywhere while handling a request; answered with `status` and an OperationOutcome."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 body: dict | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.body = body or outcome(message, code=code or _DEFAULT_CODE.get(status, "processing"))
        self.headers = headers or {}


def dumps(value, pretty: bool = False) -> bytes:
    """JSON bytes of an answer. orjson refuses a lone surrogate and an integer beyond 64 bits; the
    parser refuses the first in a body and the validator the second, so this fallback is the last
    net: the stdlib writes both, and an unpaired surrogate becomes '?' rather than a 500."""
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2 if pretty else 0)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, indent=2 if pretty else None).encode("utf-8", "replace")
