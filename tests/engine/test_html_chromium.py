"""The HTML report rendered by headless Chromium (Debian package `chromium`): the summary, the failed
case with its request, response and requirement, and the status filter (set from the URL fragment)
hiding the passed cases. Skipped where Chromium is not installed."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from harness.engine.loader import load_cases
from harness.engine.session import RunOptions, execute
from harness.reports.registry import FileReport
from harness.server.embedded import running

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


def dom(url: str) -> str:
    p = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", url],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-500:]
    return p.stdout


def test_html_report_in_chromium(tmp_path):
    path = tmp_path / "report.html"
    cases = load_cases(case_ids=["crud.imagingstudy.read-etag", "cap.fhir-version", "search.imagingstudy.text"])
    with running("r5", faults=("no-etag",)) as base:
        execute(cases, RunOptions(server=base), [FileReport("html", path)])
    page = dom(path.as_uri() + "#status=failed")
    assert re.search(r"<th>failed</th><td>1</td>", page) and re.search(r"<th>skipped</th><td>1</td>", page)
    failed = re.search(r'<details class="case failed"[^>]*>', page).group(0)
    assert "display: none" not in failed
    passed = re.search(r'<details class="case passed"[^>]*>', page).group(0)
    assert "display: none" in passed
    assert "header ETag missing" in page and "&gt; GET http://127.0.0.1" in page
    assert "SHOULD return an ETag header" in page
