"""Inputs for `validate`: files, directories (recursive), Bundles split into entries, NDJSON
streamed line by line. Every problem reading a source becomes a Result, never an exception."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from harness.validation.issues import ERROR, Issue, Result
from harness.validation.jsonparse import ParseError, parse_bytes
from harness.validation.validator import DEFAULT_VERSION, validate_value

NDJSON_SUFFIXES = (".ndjson", ".jsonl")
JSON_SUFFIXES = (".json",) + NDJSON_SUFFIXES
MAX_FILE = 512 * 1024 * 1024  # a single JSON document larger than this is refused (NDJSON streams)


def _error(source: str, rule: str, err: ParseError | str, version: str | None) -> Result:
    return Result(source, None, None, version or DEFAULT_VERSION,
                  (Issue(ERROR, rule, "$", str(err), "RFC 8259 JSON; FHIR JSON format"),))


def expand_paths(paths: list[str]) -> Iterator[tuple[str, Path | None, str | None]]:
    """(display name, path, error) for every file named or found under a directory."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in JSON_SUFFIXES)
            if not found:
                yield raw, None, f"directory {raw} holds no .json or .ndjson file"
            for f in found:
                yield str(f), f, None
        elif p.is_file():
            yield raw, p, None
        elif p.exists():
            yield raw, None, f"{raw} is not a regular file"
        else:
            yield raw, None, f"{raw}: no such file or directory"


def results_for_value(value, dups, source: str, version: str | None, bundle: dict | None = None) -> Iterator[Result]:
    """The value itself, then (for a Bundle) each entry's resource as its own result."""
    first = validate_value(value, source, version, dups, bundle)
    yield first
    version = version or first.fhir_version  # entries are read in the Bundle's version
    if isinstance(value, dict) and value.get("resourceType") == "Bundle" and isinstance(value.get("entry"), list):
        for i, entry in enumerate(value["entry"]):
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                yield from results_for_value(entry["resource"], dups, f"{source}#entry[{i}]", version, value)


def validate_file(name: str, path: Path, version: str | None) -> Iterator[Result]:
    if path.suffix.lower() in NDJSON_SUFFIXES:
        yield from _validate_ndjson(name, path, version)
        return
    try:
        if path.stat().st_size > MAX_FILE:
            yield _error(name, "input.unreadable", f"file larger than {MAX_FILE} bytes; use NDJSON", version)
            return
        data = path.read_bytes()
    except OSError as e:
        yield _error(name, "input.unreadable", f"cannot read {name}: {e.strerror or e}", version)
        return
    parsed = parse_bytes(data)
    if parsed.error is not None:
        yield _error(name, "json.syntax", parsed.error, version)
        return
    yield from results_for_value(parsed.value, parsed.duplicates, name, version)


def _validate_ndjson(name: str, path: Path, version: str | None) -> Iterator[Result]:
    try:
        f = path.open("rb")
    except OSError as e:
        yield _error(name, "input.unreadable", f"cannot read {name}: {e.strerror or e}", version)
        return
    with f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            source = f"{name}#line[{n}]"
            parsed = parse_bytes(line)
            if parsed.error is not None:
                err = parsed.error
                yield _error(source, "json.syntax", ParseError(err.message, n if err.line else None, err.column), version)
                continue
            yield from results_for_value(parsed.value, parsed.duplicates, source, version)


def validate_paths(paths: list[str], version: str | None = None) -> Iterator[Result]:
    for name, path, err in expand_paths(paths):
        if err is not None or path is None:
            yield _error(name, "input.unreadable", err or "unreadable", version)
            continue
        yield from validate_file(name, path, version)
