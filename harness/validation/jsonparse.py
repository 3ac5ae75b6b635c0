"""Strict FHIR JSON parsing that sees what ordinary parsers hide.

Python's json module rejects comments, trailing commas and unquoted names and reports line and
column; an object_pairs_hook sees duplicate keys (which dict construction would silently drop). The
duplicates are recorded beside the tree, keyed by the id of the object that had them, so the parsed
value stays a plain dict that FHIRPath and every other consumer can read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ParseError:
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"{self.message} (line {self.line}, column {self.column})"


@dataclass(slots=True)
class Parsed:
    value: object = None
    error: ParseError | None = None
    # id(dict) -> names that appeared more than once in that object
    duplicates: dict[int, list[str]] = field(default_factory=dict)


def _reject_constant(name: str) -> float:
    raise _ConstantError(name)


class _ConstantError(ValueError):
    pass


def parse_text(text: str) -> Parsed:
    """Parse one JSON document strictly. Never raises."""
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
            dups[id(obj)] = repeated
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
    return result


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
    text, err = decode_bytes(data)
    if err is not None:
        return Parsed(error=err)
    return parse_text(text)  # type: ignore[arg-type]
