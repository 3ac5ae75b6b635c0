"""Inputs for `validate`: files, directories (recursive), Bundles split into entries, NDJSON
streamed line by line. Every problem reading a source becomes a Result, never an exception."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from harness.imaging.context import Chain, Index, Resolver
from harness.imaging.spill import SpillIndex
from harness.imaging.tables import types_resolving_studies
from harness.pipeline.values import error_result, results_for_value
from harness.validation.issues import Result
from harness.validation.jsonparse import parse_bytes

NDJSON_SUFFIXES = (".ndjson", ".jsonl")
JSON_SUFFIXES = (".json",) + NDJSON_SUFFIXES
MAX_FILE = 512 * 1024 * 1024  # a single JSON document larger than this is refused (NDJSON streams)


def missing(paths: list[str]) -> list[str]:
    """The paths that name nothing at all (a usage error, not an input to report on)."""
    return [raw for raw in paths if not os.path.lexists(raw)]  # a dangling symlink is there, unreadable


def expand_paths(paths: list[str], skipped: list[str] | None = None) -> Iterator[tuple[str, Path | None, str | None]]:
    """(display name, path, error) for every file named or found under a directory; the files a
    directory walk passes over (other extensions) are appended to `skipped`."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file())
            found = [f for f in files if f.suffix.lower() in JSON_SUFFIXES]
            if skipped is not None:
                skipped += [str(f) for f in files if f.suffix.lower() not in JSON_SUFFIXES]
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


def _read_json(name: str, path: Path, version: str | None):
    """The parse of one JSON document, or the Result that says why there is none."""
    try:
        if path.stat().st_size > MAX_FILE:
            return error_result(name, "input.unreadable", f"file larger than {MAX_FILE} bytes; use NDJSON", version)
        data = path.read_bytes()
    except OSError as e:
        return error_result(name, "input.unreadable", f"cannot read {name}: {e.strerror or e}", version)
    parsed = parse_bytes(data)
    if parsed.error is not None:
        return error_result(name, "json.syntax", parsed.error, version)
    return parsed


def validate_file(name: str, path: Path, version: str | None, resolver: Resolver | None = None,
                  parsed=None, workers: int | None = None) -> Iterator[Result]:
    if path.suffix.lower() in NDJSON_SUFFIXES:
        from harness.pipeline.ndjson import validate_ndjson
        yield from validate_ndjson(name, path, version, resolver, workers)
        return
    parsed = parsed if parsed is not None else _read_json(name, path, version)
    if isinstance(parsed, Result):
        yield parsed
        return
    yield from results_for_value(parsed.value, parsed.duplicates, name, version, resolver=resolver)


def load_context(paths: list[str]) -> tuple[Index, list[str]]:
    """An Index of every resource in the given files and directories, and the problems reading them."""
    index, problems = Index(f"the context {', '.join(paths)}"), []
    for name, path, err in expand_paths(paths):
        if err is not None or path is None:
            problems.append(err or f"{name}: unreadable")
            continue
        if path.suffix.lower() in NDJSON_SUFFIXES:
            for r in _validate_ndjson_values(path):
                index.add(r)
            continue
        parsed = _read_json(name, path, None)
        if isinstance(parsed, Result):
            problems.append(f"{name}: {parsed.issues[0].message}")
        else:
            index.add(parsed.value)
    return index, problems


def skipped_line(skipped: list[str], named: int = 10) -> str:
    """The files a directory walk passed over, counted and (the first few) named."""
    shown = ", ".join(skipped[:named]) + (f", … and {len(skipped) - named} more" if len(skipped) > named else "")
    return (f"{len(skipped)} file(s) skipped, not {', '.join(JSON_SUFFIXES)} (validate reads only those): "
            f"{shown}")


_RESOURCE_TYPE = b'"resourceType"'
_TYPE_VALUE = re.compile(rb'\s*:\s*"([^"\\]*)"')  # after the key: the type, when written without escapes


def _line_types(line: bytes) -> set[bytes]:
    """The resourceType values written in the line, at any depth (each occurrence of the key found
    by a substring search, which is much faster than a regex over the whole line)."""
    found = set()
    at = line.find(_RESOURCE_TYPE)
    while at != -1:
        m = _TYPE_VALUE.match(line, at + len(_RESOURCE_TYPE))
        if m is not None:
            found.add(m.group(1))
        at = line.find(_RESOURCE_TYPE, at + len(_RESOURCE_TYPE))
    return found


def _disguised(line: bytes) -> bool:
    """Whether the line has a JSON escape that can spell a letter or '/' (a resourceType or a
    reference written escaped): such a line is parsed, never judged by its bytes alone."""
    at = line.find(b"\\")  # one byte: a memchr-speed search; most lines have a few (\" in a narrative)
    while at != -1:
        if line[at + 1:at + 2] in (b"u", b"/"):
            return True
        at = line.find(b"\\", at + 2)
    return False


_CONTEXT_TYPES = ("ImagingStudy", "Endpoint")  # what the imaging rules look up in an export


@lru_cache(maxsize=1)
def _study_readers() -> frozenset[bytes]:
    """Types whose checks look studies up, and Bundle (which may hold one)."""
    return frozenset(t.encode() for t in types_resolving_studies() | {"Bundle"})


def _may_look_up_studies(path: Path) -> bool:
    """Whether a line of the NDJSON file may make the rules look an ImagingStudy up: a selection, a
    manifest or a Bundle, a literal reference ImagingStudy/id (a series endpoint may name one), or
    an escape that could spell either. Decided on the bytes; True errs on the side of indexing."""
    readers = _study_readers()
    try:
        with path.open("rb") as f:
            for line in f:
                if not readers.isdisjoint(_line_types(line)) or b"ImagingStudy/" in line or _disguised(line):
                    return True
    except OSError:
        return True  # reported when the file is validated
    return False


def _validate_ndjson_values(path: Path, context_only: bool = False, studies: bool = True) -> Iterator[dict]:
    """The resources of an NDJSON file. context_only: just ImagingStudy and Endpoint lines (told by
    their bytes before parsing), for the PackedIndex of a large export; studies=False: just the
    Endpoint lines."""
    wanted = _CONTEXT_TYPES if studies else ("Endpoint",)
    wanted_bytes = frozenset(t.encode() for t in wanted)
    try:
        with path.open("rb") as f:
            for line in f:
                if context_only and wanted_bytes.isdisjoint(_line_types(line)) and not _disguised(line):
                    continue
                parsed = parse_bytes(line) if line.strip() else None
                if parsed is not None and parsed.error is None and isinstance(parsed.value, dict):
                    if not context_only:
                        yield parsed.value
                    elif parsed.value.get("resourceType") in wanted:
                        yield parsed.value  # the PackedIndex keeps only what the rules read
    except OSError:
        return


def validate_paths(paths: list[str], version: str | None = None, context: Resolver | None = None,
                   workers: int | None = None, skipped: list[str] | None = None) -> Iterator[Result]:
    """Validate every file named or found. All JSON documents given in one call are one resolution
    context for the imaging rules (a study in one file resolves a selection in another); NDJSON
    streams and is resolved only against itself line by line plus the context."""
    files = list(expand_paths(paths, skipped))
    parsed = {name: _read_json(name, path, version) for name, path, err in files
              if err is None and path is not None and path.suffix.lower() not in NDJSON_SUFFIXES}
    local = Index(f"the files validated ({', '.join(paths)})")
    for p in parsed.values():
        if not isinstance(p, Result):
            local.add(p.value)
    exports = SpillIndex(f"the NDJSON files validated ({', '.join(paths)})")
    exports_given = [path for name, path, err in files
                     if err is None and path is not None and path.suffix.lower() in NDJSON_SUFFIXES]
    # NDJSON (bulk exports): index the studies and endpoints only, and the studies only when something
    # given may look one up (a study-only export spares parsing every line twice); any JSON file may
    studies = bool(parsed) or any(map(_may_look_up_studies, exports_given))
    for path in exports_given:
        for r in _validate_ndjson_values(path, context_only=True, studies=studies):
            exports.add(r)
    exports.flush()
    folders: dict[Path, Index] = {}  # a file's own folder is asked first: files kept together belong together
    for name, path, err in files:
        p = parsed.get(name)
        if path is not None and p is not None and not isinstance(p, Result):
            folders.setdefault(path.parent, Index(f"the files given from {path.parent}")).add(p.value)
    try:
        for name, path, err in files:
            if err is not None or path is None:
                yield error_result(name, "input.unreadable", err or "unreadable", version)
                continue
            resolver = Chain(*([folders[path.parent]] if path.parent in folders else []), local,
                             *([exports] if exports_given else []), *([context] if context is not None else []))
            yield from validate_file(name, path, version, resolver, parsed.get(name), workers)
    finally:
        exports.close()
