"""The validate JSON report is written by orjson in batches while results stream past (issue #23); its
bytes must stay exactly what the stdlib's json.dumps(indent=2, ensure_ascii=False) of the whole
report gives: any text, any number of results (across batch edges), and text orjson refuses."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings, strategies as st

from harness.reports import validation, validation_json
from harness.validation.issues import ERROR, INFORMATION, WARNING, Issue, Result


def _stdlib(results: list[Result]) -> str:
    """The report as it was written before orjson: the stdlib's indenting encoder over it whole."""
    return json.dumps({"results": [r.as_dict() for r in results], "summary": validation.summary(results)},
                      indent=2, ensure_ascii=False) + "\n"


def _streamed(results: list[Result]) -> str:
    out = io.StringIO()
    validation_json.write_results(iter(results), out)
    return out.getvalue()


def _result(n: int, text: str = "x", issues: int = 1) -> Result:
    sev = (ERROR, WARNING, INFORMATION)
    return Result(f"f.ndjson#line[{n}]", "ImagingStudy" if n % 2 else None, None if n % 3 else f"id-{n}",
                  "r5", tuple(Issue(sev[(n + k) % 3], "invariant.dom-6", f"ImagingStudy.series[{k}]",
                                    f"{text} {k}", "FHIR R5 5.0.0") for k in range(issues)))


@pytest.mark.parametrize("count", [0, 1, 2, validation_json.JSON_BATCH - 1, validation_json.JSON_BATCH,
                                   validation_json.JSON_BATCH + 1, 2 * validation_json.JSON_BATCH + 3])
def test_streamed_report_is_the_stdlib_bytes_across_batch_edges(count):
    results = [_result(n, issues=n % 4) for n in range(count)]
    assert _streamed(results) == _stdlib(results) == validation_json.render_results(results)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",))), min_size=1, max_size=5))
def test_any_text_is_escaped_as_the_stdlib_escapes_it(texts):
    results = [_result(n, text) for n, text in enumerate(texts)]
    assert _streamed(results) == _stdlib(results)


def test_text_orjson_refuses_is_written_by_the_stdlib():
    """A file name that is not UTF-8 reaches Python as lone surrogates (surrogateescape): orjson
    refuses them, and the batch is written by the stdlib as before."""
    results = [_result(1), Result("bad\udcff.json", None, None, "r5", ()), _result(3)]
    assert _streamed(results) == _stdlib(results)
