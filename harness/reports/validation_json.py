"""`validate --format json`: every result (source, resource, version, verdict, issues) and the counts,
written while the results are produced."""

from __future__ import annotations

import json
from typing import IO, Iterable

from harness.reports.validation import Tally, summary
from harness.validation.issues import Result


def render_results(results: list[Result]) -> str:
    return json.dumps({"results": [r.as_dict() for r in results], "summary": summary(results)},
                      indent=2, ensure_ascii=False) + "\n"


def write_results(results: Iterable[Result], out: IO[str], colour: bool = False) -> None:
    """The same JSON, written result by result while the results are produced."""
    tally = Tally()
    out.write('{\n  "results": [')
    for n, r in enumerate(results):
        tally.add(r)
        body = json.dumps(r.as_dict(), indent=2, ensure_ascii=False).replace("\n", "\n    ")
        out.write(("," if n else "") + "\n    " + body)
    s = {"resources": tally.resources, "errors": tally.errors, "warnings": tally.warnings}
    out.write(("\n  " if tally.resources else "") + '],\n  "summary": '
              + json.dumps(s, indent=2).replace("\n", "\n  ") + "\n}\n")
