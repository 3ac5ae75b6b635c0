"""NDJSON validation: streamed line by line, in bounded memory, on every core.

Lines are read in chunks; with more than one worker, at most ``2 × workers`` chunks are in flight
in a process pool (forked after the resolution index is built and the first lines validated here, so
workers share the index and start with everything compiled), and results come back in input order.
A small file, or one worker, is validated in this process.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import signal
from collections import deque
from pathlib import Path
from typing import Iterator

from harness.imaging.context import Resolver
from harness.pipeline.values import error_result, results_for_value
from harness.validation.issues import Result
from harness.validation.jsonparse import ParseError, parse_bytes

CHUNK_LINES = 500
WARM_LINES = 50  # validated before the pool forks, so that the workers inherit what they compiled
PARALLEL_MIN_BYTES = 8 * 1024 * 1024  # below this, starting processes costs more than it saves
_WORKER: dict = {}  # resolver and version for forked workers (set before the pool forks)


def _lines(name: str, start: int, lines: list[bytes], version: str | None, resolver) -> list[Result]:
    out: list[Result] = []
    for n, line in enumerate(lines, start=start):
        if not line.strip():
            continue
        source = f"{name}#line[{n}]"
        parsed = parse_bytes(line)
        if parsed.error is not None:
            err = parsed.error
            out.append(error_result(source, "json.syntax", ParseError(err.message, n if err.line else None, err.column),
                              version))
            continue
        out.extend(results_for_value(parsed.value, parsed.duplicates, source, version, resolver=resolver))
    return out


def _worker_start() -> None:
    """A worker leaves Ctrl-C to the parent (the terminal sends it to every process of the group):
    the parent stops the pool, and no worker prints a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _chunk_in_worker(args: tuple[str, int, list[bytes] | tuple[int, int]]) -> list[Result]:
    """A chunk given as its lines, or as (offset, length) of whole lines the worker reads itself
    from the file it inherited (the parent sends 24 bytes instead of the lines)."""
    name, start, lines = args
    if isinstance(lines, tuple):
        lines = _split(os.pread(_WORKER["fd"], lines[1], lines[0]))
    return _lines(name, start, lines, _WORKER.get("version"), _WORKER.get("resolver"))


def _split(data: bytes) -> list[bytes]:
    """The lines of data as iterating a binary file gives them: split at b"\n", each kept with it."""
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


CHUNK_BYTES = 512 * 1024  # a worker's chunk when it reads the lines itself


def _ranges(f) -> Iterator[tuple[int, tuple[int, int]]]:
    """(first line number, (offset, length)) of consecutive runs of whole lines, read from f's
    current position to its end: the lines are only counted here, a worker reads them. Only
    positions are kept: a line longer than a block is never copied or scanned twice."""
    line, offset = 1, f.tell()  # offset: where the run not yet yielded starts
    pos = offset  # where the next block starts
    while True:
        data = f.read(CHUNK_BYTES)
        if not data:
            if pos > offset:
                yield line, (offset, pos - offset)
            return
        cut = data.rfind(b"\n") + 1  # the bytes from offset to pos hold no newline
        if cut:
            yield line, (offset, pos + cut - offset)
            line += data.count(b"\n", 0, cut)
            offset = pos + cut
        pos += len(data)


def _chunks(f) -> Iterator[tuple[int, list[bytes]]]:
    start, buf = 1, []
    for line in f:
        buf.append(line)
        if len(buf) >= CHUNK_LINES:
            yield start, buf
            start, buf = start + len(buf), []
    if buf:
        yield start, buf


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def validate_ndjson(name: str, path: Path, version: str | None, resolver: Resolver | None = None,
                    workers: int | None = None) -> Iterator[Result]:
    try:
        f = path.open("rb")
        size = path.stat().st_size
    except OSError as e:
        yield error_result(name, "input.unreadable", f"cannot read {name}: {e.strerror or e}", version)
        return
    workers = default_workers() if workers is None else max(1, workers)
    with f:
        if workers == 1 or size < PARALLEL_MIN_BYTES or "fork" not in multiprocessing.get_all_start_methods():
            for start, lines in _chunks(f):
                yield from _lines(name, start, lines, version, resolver)
            return
        # the first lines here: they compile what validation needs (definitions, generated checkers,
        # value sets) in this process, so the forked workers start warm instead of each compiling;
        # the rest of the first chunk goes to the workers (a whole chunk here kept a file of a few
        # chunks on one core). The workers read the other chunks themselves, by offset: this process
        # only counts their lines, so it is free for the results (it was the bottleneck)
        first = next(_chunks(f), None)
        chunks: Iterator = iter(())
        if first is not None:
            start, lines = first
            yield from _lines(name, start, lines[:WARM_LINES], version, resolver)
            rest = [(start + WARM_LINES, lines[WARM_LINES:])] if len(lines) > WARM_LINES else []
            f.seek(sum(map(len, lines)))
            after = start + len(lines) - 1  # bound now: the loop below rebinds start and lines
            chunks = itertools.chain(rest, ((after + n, at) for n, at in _ranges(f)))
        _WORKER.update(version=version, resolver=resolver, fd=f.fileno())
        ctx = multiprocessing.get_context("fork")
        gc.freeze()  # the inherited objects stay out of the workers' collections (no copy-on-write)
        try:
            pool = ctx.Pool(workers, initializer=_worker_start)
        finally:
            gc.unfreeze()  # the workers are forked: this process collects as before
        with pool:
            in_flight: deque = deque()
            for start, lines in chunks:
                in_flight.append(pool.apply_async(_chunk_in_worker, ((name, start, lines),)))
                if len(in_flight) >= 2 * workers:
                    yield from in_flight.popleft().get()
            while in_flight:
                yield from in_flight.popleft().get()
