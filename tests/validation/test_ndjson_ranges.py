"""NDJSON workers read their chunks themselves, by offset (issue #23: the parent only counts lines).
The lines and line numbers they see must be the ones iterating the file gives: any bytes, lines
longer than a chunk, CR LF, blank lines, no final newline; and the results those of one process."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from harness.validation import ndjson
from harness.validation.sources import validate_paths
from tests.shared import ROOT


def _read_by_ranges(data: bytes, skip: int = 0) -> list[tuple[int, bytes]]:
    f = io.BytesIO(data)
    f.seek(skip)
    return [(first + n, line) for first, (offset, length) in ndjson._ranges(f)
            for n, line in enumerate(ndjson._split(data[offset:offset + length]))]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.integers(1, 64), st.integers(0, 40))
def test_ranges_give_the_lines_iterating_the_file_gives(data, block, skip):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ndjson, "CHUNK_BYTES", block)
        skip = min(skip, len(data))
        expected = list(enumerate(io.BytesIO(data[skip:]), start=1))
        assert _read_by_ranges(data, skip) == expected


def test_parallel_results_equal_one_process_with_odd_lines(tmp_path: Path, monkeypatch):
    study = json.dumps(json.loads((ROOT / "fixtures/valid/r5/imagingstudy-ct-chest.json").read_text()))
    long = json.dumps({"resourceType": "ImagingStudy", "id": "x" * 3000, "status": "available",
                       "subject": {"reference": "Patient/p"}})
    lines = []
    for n in range(90):
        lines.append([study, long, "", "   ", study + "\r", '{"resourceType": "Imag'][n % 6])
    f = tmp_path / "odd.ndjson"
    f.write_bytes("\n".join(lines).encode())  # no final newline
    monkeypatch.setattr(ndjson, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(ndjson, "CHUNK_LINES", 8)
    monkeypatch.setattr(ndjson, "WARM_LINES", 3)
    monkeypatch.setattr(ndjson, "CHUNK_BYTES", 1000)  # shorter than the long line
    serial = [r.as_dict() for r in validate_paths([str(f)], "r5", workers=1)]
    parallel = [r.as_dict() for r in validate_paths([str(f)], "r5", workers=2)]
    assert serial == parallel
    numbered = [n for n, line in enumerate(lines, start=1) if line.strip()]
    assert [r["source"] for r in parallel] == [f"{f}#line[{n}]" for n in numbered]
