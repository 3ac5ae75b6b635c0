"""`validate --format json`: every result (source, resource, version, verdict, issues) and the counts,
written while the results are produced, by orjson in batches (the stdlib's bytes, faster)."""

from __future__ import annotations

import json
from typing import IO, Iterable

import orjson

from harness.reports.validation import Tally, summary
from harness.validation.issues import Result

JSON_BATCH = 256  # results serialized per orjson call while streaming (bounded memory, few calls)


def render_results(results: list[Result]) -> str:
    return json.dumps({"results": [r.as_dict() for r in results], "summary": summary(results)},
                      indent=2, ensure_ascii=False) + "\n"


def _results_json(dicts: list[dict]) -> str:
    """Results (a non-empty list) as the elements of the report's "results" array: the text that
    json.dumps(indent=2, ensure_ascii=False) gives them there, each line indented to its depth and
    each result after a newline. orjson's OPT_INDENT_2 writes these values (strings, booleans, null,
    lists and objects) byte for byte as the stdlib does, about ten times faster: the stdlib's C
    encoder does not indent, so indent=2 ran its pure-Python one (a third of a small resource's time)."""
    try:
        body = orjson.dumps(dicts, option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONEncodeError:  # text orjson refuses (a lone surrogate in a file name): the stdlib's
        body = json.dumps(dicts, indent=2, ensure_ascii=False)
    return body[1:-2].replace("\n", "\n  ")  # without "[" and "\n]"; two more spaces at every depth


def write_results(results: Iterable[Result], out: IO[str], colour: bool = False) -> None:
    """The same JSON, written batch by batch while the results are produced."""
    tally = Tally()
    out.write('{\n  "results": [')
    batch: list[dict] = []
    for r in results:
        tally.add(r)
        batch.append(r.as_dict())
        if len(batch) >= JSON_BATCH:
            out.write(("," if tally.resources > len(batch) else "") + _results_json(batch))
            batch = []
    if batch:
        out.write(("," if tally.resources > len(batch) else "") + _results_json(batch))
    s = {"resources": tally.resources, "errors": tally.errors, "warnings": tally.warnings}
    out.write(("\n  " if tally.resources else "") + '],\n  "summary": '
              + json.dumps(s, indent=2).replace("\n", "\n  ") + "\n}\n")
