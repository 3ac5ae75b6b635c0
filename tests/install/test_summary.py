"""The Markdown summary (`run --summary FILE`, issue #20 item 8): counts per suite and each failure
with its requirement and a one-line cause, inert whatever a server put in the messages; and the
README's statement about `--fault ignore-include` (item 12) as a run shows it."""

from __future__ import annotations

import os
import re

from harness.engine.events import RunResult
from harness.engine.loader import load_cases
from harness.reports import summary
from harness.reports.registry import DEFAULT, FORMATS
from tests.shared import ROOT, run_cli


def _run_with(messages: list[str]) -> RunResult:
    from harness.engine.events import CaseResult

    cases = load_cases(ROOT / "testcases")
    run = RunResult("r1", "http://127.0.0.1:1/fhir", "5.0.0", "test", "2026-01-01T00:00:00+00:00")
    run.cases = [CaseResult(c, "failed" if i < len(messages) else "passed", messages[i] if i < len(messages) else "")
                 for i, c in enumerate(cases)]
    return run


def test_hostile_messages_stay_one_inert_line():
    hostile = ["a | b\n# heading\r\n<script>alert(1)</script> [x](http://evil) `code` **bold** &amp;",
               "\x1b]8;;http://evil\x07link\x1b]8;;\x07 \u202egnp.exe \x00\x85 end",
               "x" * 5000]
    text = summary.render(_run_with(hostile))
    entries = [line for line in text.splitlines() if line.startswith("- ❌")]
    assert len(entries) == 3
    first = entries[0]
    assert "<script>" not in text and "](" not in text and "\\|" in first and "\\<script\\>" in first
    assert "\n# heading" not in text and "\x1b" not in text and "\u202e" not in text and "\x00" not in text
    assert "\\&amp;" in first and "\\`code\\`" in first
    assert len(entries[2]) < summary.CAUSE_CHARS + 200 and entries[2].endswith("…")
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0] == "| suite | passed | failed | error | skipped |"
    assert table[-1].startswith("| **total** |") and "**3**" in table[-1]
    requirements = [line for line in text.splitlines() if line.startswith("  - requirement: ")]
    assert len(requirements) == 3


def test_a_long_list_is_cut_under_the_comment_limit():
    run = _run_with(["y" * 400] * 51)
    run.cases = run.cases * 40  # 2,040 failures
    text = summary.render(run)
    assert len(text) <= summary.MAX_CHARS
    assert re.search(r"- … and \d+ more \(the JUnit report lists every case\)", text)


def test_the_summary_is_registered_and_written_only_when_asked():
    assert FORMATS["summary"][0] == "harness.reports.summary"
    assert "summary" not in DEFAULT and len(DEFAULT) == 4


def test_run_with_a_fault_writes_the_summary_and_the_readme_counts_match(tmp_path):
    out = tmp_path / "summary.md"
    done = run_cli("run", "--fault", "ignore-include", "--summary", str(out), "--reports-dir", str(tmp_path / "reports"),
                   env=dict(os.environ), cwd=tmp_path, timeout=600)
    assert done.returncode == 1, done.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == sorted(FORMATS[n][1] for n in DEFAULT)
    text = out.read_text(encoding="utf-8")
    failed = re.findall(r"^- ❌ \*\*([^*]+)\*\* \(([^,]+), failed\)", text, re.M)
    ids = {i.replace("\\", "") for i, _ in failed}
    assert {"search.imagingstudy.include-subject", "search.imagingstudy.revinclude-selection"} <= ids
    assert {s for _, s in failed} == {"search", "search-oracle"}
    assert re.search(r"^\| search \| \d+ \| 2 \| 0 \| \d+ \|$", text, re.M)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(r"`--fault ignore-include` fails (\d+) cases", readme)
    assert said and int(said.group(1)) == len(failed)
