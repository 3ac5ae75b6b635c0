"""Strict FHIR JSON parsing that sees what ordinary parsers hide.

Python's json module rejects comments, trailing commas and unquoted names and reports line and
column; an object_pairs_hook sees duplicate keys (which dict construction would silently drop). The
duplicates are recorded beside the tree, keyed by the id of the object that had them, so the parsed
value stays a plain dict that FHIRPath and every other consumer can read.

Fast path. Most documents are well formed and have no duplicate keys; for them orjson builds the
same tree several times faster than the hook above (the hook is a Python call per object). The fast
path returns orjson's tree only when it provably equals what the stdlib path would return, and
otherwise runs the stdlib path, so every result (values, error messages with line and column,
duplicates) is the stdlib one. The proof, per document, in ``_fast_value``:

* accepted input: orjson rejects everything the strict stdlib parse rejects (invalid JSON, NaN and
  Infinity, a second BOM, invalid UTF-8, nesting past 1024) and also some inputs the stdlib accepts
  (numbers out of double range, lone surrogate escapes); a rejection means "use the stdlib";
* same values: strings and floats decode identically (both correctly rounded); integers are exact
  within 64 bits, and orjson turns a larger one into a float, which then prints as ``1.8e+19``, so
  an exponent ``e+`` anywhere in orjson's re-serialization sends the document to the stdlib;
* no duplicate keys: every ``:`` outside a string in JSON text separates one object member, so the
  ``:`` count of the input is members + colons inside strings. orjson's re-serialization (compact,
  ``:`` never escaped) has members-after-deduplication + the same string colons, unless a string
  wrote a colon as the escape ``\\u003a``, which sends the document to the stdlib. A dropped
  duplicate drops at least its own ``:``, so equal counts mean no object had a repeated key;
* canonical input: when the text is byte for byte orjson's own serialization of the tree, but for
  a line end after it (compact NDJSON exports often are), every check above holds at once: the same
  text gives the same strings and numbers (an integer orjson turned into a float would print
  differently), and no member was dropped (the serialization would be shorter). Only the stack
  depth is checked, against the bound of what orjson serializes;
* same failure depth: the stdlib parser recurses once per nesting level and raises RecursionError
  near the interpreter's recursion limit (which depends on the caller's stack), so the fast path is
  taken only when the nesting (bounded by the number of ``{`` and ``[``, and by the deepest value
  orjson serializes) plus the current stack stays at least _MARGIN levels below the limit.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field

import orjson


@dataclass(frozen=True, slots=True)
class ParseError:
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"{self.message} (line {self.line}, column {self.column})"


class Duplicates(dict):
    """id(dict) -> names that appeared more than once in that object. It also holds the objects it
    names: an object that had duplicates and was then dropped (the earlier value of a repeated key)
    would otherwise be freed, and a later object given its id would look as if it had duplicates."""

    __slots__ = ("alive",)

    def __init__(self) -> None:
        super().__init__()
        self.alive: list = []

    def record(self, obj: dict, repeated: list[str]) -> None:
        self[id(obj)] = repeated
        self.alive.append(obj)


@dataclass(slots=True)
class Parsed:
    value: object = None
    error: ParseError | None = None
    duplicates: Duplicates = field(default_factory=Duplicates)


def _reject_constant(name: str) -> float:
    raise _ConstantError(name)


class _ConstantError(ValueError):
    pass


def parse_text(text: str, *, fast: bool = True) -> Parsed:
    """Parse one JSON document strictly. Never raises.

    fast=False skips the orjson fast path: the stdlib parse alone, the reference the fast path is
    tested against (``parse_text_reference``). The stdlib parse runs in this frame, as it always
    did, so the stack depth at which deep nesting fails is unchanged."""
    if fast and type(text) is str:
        try:
            raw = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: the stdlib decides
            raw = None
        if raw is not None:
            value = _fast_value(raw)
            if value is not _NO_VALUE:
                return Parsed(value)
    result = Parsed()
    dups = result.duplicates

    def hook(pairs: list[tuple[str, object]]) -> dict:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            repeated: list[str] = []
            for k, _ in pairs:
                if k in seen and k not in repeated:
                    repeated.append(k)
                seen.add(k)
            dups.record(obj, repeated)
        return obj

    try:
        result.value = json.loads(text, object_pairs_hook=hook, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        result.error = ParseError(f"invalid JSON: {e.msg}", e.lineno, e.colno)
    except _ConstantError as e:
        result.error = ParseError(f"invalid JSON: {e.args[0]} is not a JSON value")
    except RecursionError:
        result.error = ParseError("invalid input: JSON nested too deeply to process")
    except ValueError as e:  # e.g. integers longer than the interpreter's digit limit
        result.error = ParseError(f"invalid JSON: {e}")
    if result.error is None and ("\\ud" in text or "\\uD" in text):
        result.error = _lone_surrogate(text)
        if result.error is not None:
            result.value, result.duplicates = None, Duplicates()
    return result


_SURROGATE_ESCAPE = re.compile(r"(\\+)u([dD][89abAB][0-9a-fA-F]{2}(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?"
                               r"|[dD][c-fC-F][0-9a-fA-F]{2})")


def _lone_surrogate(text: str) -> ParseError | None:
    """The first \\uD800-\\uDFFF escape that is not half of a pair. JSON's grammar admits it, but it
    names no Unicode character and has no UTF-8 form (RFC 8259 §8.2: such a string's handling is
    unpredictable), and FHIR JSON is UTF-8 (FHIR JSON format: 'the MIME type ... UTF-8'): refused,
    so no consumer (a report writer, the server's answer, a database) meets it later."""
    for m in _SURROGATE_ESCAPE.finditer(text):
        if len(m.group(1)) % 2 == 0 or len(m.group(2)) == 10:  # an escaped backslash, or a whole pair
            continue
        before = text[: m.end(1) - 1]
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        escape = "\\u" + m.group(2)[:4]
        return ParseError(f"invalid JSON: {escape} is a lone UTF-16 surrogate, not a Unicode character "
                          f"(FHIR JSON is UTF-8, where it has no form)", line, column)
    return None


def parse_text_reference(text: str) -> Parsed:
    """The stdlib parse only (what parse_text returned before the fast path existed)."""
    return parse_text(text, fast=False)


def decode_bytes(data: bytes) -> tuple[str | None, ParseError | None]:
    """UTF-8 decoding with the byte offset, line and column of the first invalid byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as e:
        before = data[: e.start]
        line = before.count(b"\n") + 1
        column = e.start - (before.rfind(b"\n") + 1) + 1
        return None, ParseError(f"invalid UTF-8 at byte {e.start}: {e.reason}", line, column)


def parse_bytes(data: bytes) -> Parsed:
    # orjson rejects invalid UTF-8 as strictly as Python's decoder (surrogates, overlong forms,
    # code points past U+10FFFF), so a document it accepts needs no separate decoding
    value = _fast_value(data[3:] if data.startswith(b"\xef\xbb\xbf") else data)
    if value is not _NO_VALUE:
        return Parsed(value)
    text, err = decode_bytes(data)
    if err is not None:
        return Parsed(error=err)
    return parse_text(text, fast=False)  # type: ignore[arg-type]


# --- the orjson fast path ---------------------------------------------------------------------------

_NO_VALUE = object()  # "the fast path cannot vouch for this document": parse with the stdlib
# Levels kept free below the recursion limit besides the nesting and the Python frames: the stdlib
# parse's own frames (parse_text, loads, decode, raw_decode, the hook) and C-level recursion that
# frames do not show. Generous on purpose: erring high only sends very deep documents to the stdlib.
_MARGIN = 100
_MARKS = b":{[\\"
_NOT_MARKS = bytes(c for c in range(256) if c not in _MARKS)
_ESCAPE_SCAN = 8  # up to this many backslashes are examined one by one; past it, one substring search


def _serialized_depth_bound() -> int:
    """A bound on the nesting of any value orjson.dumps serializes: orjson 3 refuses values nested
    more than 254 deep, which the probe confirms (a version without the limit gives no bound: the
    count of { and [ alone then bounds the depth)."""
    probe: list = []
    node = probe
    for _ in range(299):
        node.append([])
        node = node[0]
    try:
        orjson.dumps(probe)  # 300 levels
    except orjson.JSONEncodeError:
        return 300
    return sys.maxsize


_DEPTH_BOUND = _serialized_depth_bound()


def _fast_value(raw: bytes) -> object:
    """orjson's tree for raw (UTF-8 JSON, no BOM) when it is provably what the stdlib parse gives,
    with no duplicate keys; else _NO_VALUE. See the module docstring for why each check suffices."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _NO_VALUE
    try:
        dump = orjson.dumps(value)
    except orjson.JSONEncodeError:  # nested deeper than orjson serializes
        return _NO_VALUE
    if ((dump == raw or (raw[-1:] == b"\n" and dump == raw.rstrip(b"\r\n")))  # an NDJSON line's end
            and not _frames_beyond(sys.getrecursionlimit() - _MARGIN - _DEPTH_BOUND)):
        return value  # canonical input (module docstring): nothing below can fail
    marks = raw.translate(None, _NOT_MARKS)  # every : { [ and backslash, in order
    colons = marks.count(b":")
    escapes = marks.count(b"\\")
    if escapes and _colon_escape(raw, escapes):
        return _NO_VALUE
    if dump.count(b":") != colons:
        return _NO_VALUE  # a duplicate key (orjson kept one member where the text has several)
    plus = dump.find(b"+")
    while plus != -1:  # '+' in strings (time zones) is common; 'e+' only in large floats
        if dump[plus - 1:plus] == b"e":
            return _NO_VALUE  # an integer beyond 64 bits became a float, or a float >= 1e16
        plus = dump.find(b"+", plus + 1)
    if _frames_beyond(sys.getrecursionlimit() - _MARGIN - min(len(marks) - colons - escapes, _DEPTH_BOUND)):
        return _NO_VALUE  # the stdlib parse might run out of stack here: let it decide
    return value


def _colon_escape(raw: bytes, escapes: int) -> bool:
    """Whether a string may spell ':' as \\u003a / \\u003A (True errs on the side of the stdlib)."""
    if escapes > _ESCAPE_SCAN:
        return b"\\u003" in raw
    i = raw.find(b"\\")
    while i != -1:  # each hit starts an escape: the escaped character is skipped over
        if raw[i + 1:i + 5] == b"u003" and raw[i + 5:i + 6] in (b"a", b"A"):
            return True
        i = raw.find(b"\\", i + 2)
    return False


def _frames_beyond(n: int) -> bool:
    """Whether the current thread's stack holds more than n Python frames."""
    if n <= 0:
        return True
    try:
        sys._getframe(n)
    except ValueError:
        return False
    return True
