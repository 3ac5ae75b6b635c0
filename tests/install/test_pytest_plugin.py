"""The pytest plugin (issue #20 item 7): the conformance cases as pytest items, one per case, with
markers per suite and tag, in the team's own report; inactive unless asked, so it leaves a project's
own test run alone. pytest runs in a subprocess, with the plugin loaded from its entry point as it
is in a user's environment."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.engine.loader import load_cases
from harness.server.embedded import running
from tests.shared import ROOT

SECRET = "s3cr3t-plugin-token-4711"


def pytest_in(folder: Path, *args, env=None) -> subprocess.CompletedProcess:
    import os

    e = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *map(str, args)], cwd=folder,
                          capture_output=True, text=True, timeout=600, env=e)


def junit_cases(path: Path) -> dict[str, ET.Element]:
    return {f"{tc.get('classname')}::{tc.get('name')}": tc for tc in ET.parse(path).getroot().iter("testcase")}


def test_inactive_without_its_options(tmp_path):
    (tmp_path / "test_own.py").write_text("def test_own():\n    assert True\n")
    done = pytest_in(tmp_path, "-q", "--junitxml", tmp_path / "j.xml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(junit_cases(tmp_path / "j.xml")) == ["test_own::test_own"]
    helped = pytest_in(tmp_path, "--help")
    assert "--fhir-server=URL" in helped.stdout and "--fhir-conformance" in helped.stdout


def test_every_case_is_an_item_against_the_embedded_server(tmp_path):
    done = pytest_in(tmp_path, "-q", "--fhir-conformance", "--junitxml", tmp_path / "j.xml")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    got = junit_cases(tmp_path / "j.xml")
    cases = load_cases(ROOT / "testcases")
    assert set(got) == {f"imaging-harness.{c.suite}::{c.id}" for c in cases} | {"imaging-harness::search-oracle"}
    skipped = [k for k, tc in got.items() if tc.find("skipped") is not None]
    assert skipped == ["imaging-harness.search::search.imagingstudy.text"]  # _text is not claimed
    props = got["imaging-harness.crud::crud.imagingstudy.delete"].find("properties/property")
    assert props.get("name") == "requirement" and "http.html#delete" in props.get("value")


def test_failures_of_a_faulty_server_with_markers_and_no_secret(tmp_path):
    with running(faults=("ignore-include",)) as base:
        done = pytest_in(tmp_path, "-q", "--fhir-server", base, "-m", "suite_search or suite_search_oracle",
                         "--junitxml", tmp_path / "j.xml", env={"FHIR_TOKEN": SECRET})
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    got = junit_cases(tmp_path / "j.xml")
    assert {k.split("::")[0] for k in got} == {"imaging-harness.search", "imaging-harness"}
    failed = {k for k, tc in got.items() if tc.find("failure") is not None}
    assert failed == {"imaging-harness.search::search.imagingstudy.include-subject",
                      "imaging-harness.search::search.imagingstudy.revinclude-selection",
                      "imaging-harness::search-oracle"}
    text = got["imaging-harness.search::search.imagingstudy.include-subject"].find("failure").get("message", "") + \
        got["imaging-harness.search::search.imagingstudy.include-subject"].find("failure").text
    assert "requirement: FHIR R5 5.0.0 / R4 4.0.1 search.html#include" in text
    oracle = got["imaging-harness::search-oracle"].find("failure").text
    assert "5 of" in oracle and "search-oracle.ImagingStudy.include.subject" in oracle
    assert SECRET not in (tmp_path / "j.xml").read_text(encoding="utf-8") + done.stdout + done.stderr


def test_a_bad_server_url_is_a_usage_error(tmp_path):
    done = pytest_in(tmp_path, "--fhir-server", "ftp://x")
    assert done.returncode == 4 and "is not an http(s) URL" in done.stderr
