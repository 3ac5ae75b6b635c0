"""What a request may cost: body size and read time, URL length, numbers in the query, search size.

Every bound a client can reach is here, each answered with a 4xx OperationOutcome that names it
(never a 500): the body is read by `read_body` alone (both apps, the validator's hot path too), a
whole number in a query or path by `whole_number`, and the size of a search by `search_terms`.
"""

from __future__ import annotations

import asyncio

from harness.server.outcome import FhirError

DEFAULT_MAX_BODY = 10 * 1024 * 1024
BODY_TIMEOUT = 30.0  # seconds from the first receive to the body's last byte
MAX_URL = 16 * 1024  # path and query, as received (percent-encoded)
MAX_DIGITS = 15  # a count, offset or version id longer than this is not a number we could serve
MAX_CHAIN = 3  # links of a chained search parameter (a.b.c.code=x has 3): SQLite nests a subquery per link
MAX_TERMS = 100  # search criteria of one query: parameters plus comma-separated values, all told
MAX_SUBQUERIES = 500  # of one search's SQL: a chain through an any-type reference multiplies them
# what SQLite says when a statement is beyond its limits (sqlite.org/limits.html)
SQL_TOO_BIG = ("too many SQL variables", "Expression tree is too large", "parser stack overflow",
               "too many FROM clause terms", "at most 64 tables in a join", "too many terms",
               "LIKE or GLOB pattern too complex", "string or blob too big", "too many columns")


class Disconnected(Exception):
    """The client went away before its body arrived: nobody to answer."""


async def read_body(receive, declared: str | None, limit: int, timeout: float) -> bytes:
    """The request body from an ASGI `receive`: 413 above `limit` bytes (declared or sent), 408 when
    it has not all arrived `timeout` seconds after the first read (a stalled or trickling client)."""
    declared = (declared or "").strip()
    if declared.isascii() and declared.isdigit() and (len(declared) > MAX_DIGITS or int(declared) > limit):
        raise FhirError(413, f"request body larger than {limit} bytes", code="too-long")
    chunks, size = [], 0
    try:
        async with asyncio.timeout(timeout):  # one timer for the whole body, no task per read
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise Disconnected()
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise FhirError(413, f"request body larger than {limit} bytes", code="too-long")
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    except TimeoutError:
        raise FhirError(408, f"the request body did not arrive within {timeout:g} seconds",
                        code="timeout", headers={"Connection": "close"}) from None


def whole_number(text: str, what: str) -> int | None:
    """A non-negative integer written in ASCII digits, else None; 400 when it has more digits than
    any count this server could serve (Python's int() takes '²' and 4,300 digits, and then fails)."""
    if not (text.isascii() and text.isdigit()):
        return None
    if len(text) > MAX_DIGITS:
        raise FhirError(400, f"{what}: {len(text)} digits is more than this server handles "
                             f"(at most {MAX_DIGITS})", code="too-long")
    return int(text)


def check_url(path: bytes, query: bytes) -> None:
    """414 for a request target longer than MAX_URL; 400 for one that is not UTF-8 (RFC 3986 §2.5:
    characters outside ASCII are sent as the percent-encoded octets of their UTF-8 form)."""
    if len(path) + len(query) > MAX_URL:
        raise FhirError(414, f"the URL is longer than {MAX_URL} characters; send a long search as "
                             f"POST [type]/_search with a form body", code="too-long")
    if not query.isascii():
        try:
            query.decode("utf-8")
        except UnicodeDecodeError as e:
            raise FhirError(400, f"the query string is not UTF-8 (byte {e.start}); percent-encode "
                                 f"the UTF-8 octets of each character (RFC 3986 §2.5)") from None


def search_terms(count: int) -> None:
    if count > MAX_TERMS:
        raise FhirError(400, f"the search has {count} criteria (parameters and comma-separated values); "
                             f"this server evaluates at most {MAX_TERMS}", code="too-costly")
