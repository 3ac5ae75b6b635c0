"""Case files: schema errors with file and line, unknown keys, bad YAML, missing fixtures, capture
cycles and captures used before they exist are reported before any request; the shipped suites load."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.engine.loader import CaseErrors, load_cases

GOOD = """\
id: t.ok
title: ok
requirement: {version: FHIR R5 5.0.0, section: http.html#read, text: "The read interaction accesses the current contents of a resource."}
versions: [r5]
steps:
  - name: read
    request: {method: GET, path: metadata}
    assert:
      - status: 200
"""


def write(tmp_path: Path, text: str, name="c.yaml", suite="s") -> Path:
    d = tmp_path / suite
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def errors(root) -> list[str]:
    with pytest.raises(CaseErrors) as e:
        load_cases(root)
    return [str(x) for x in e.value.errors]


def test_good_case_loads(tmp_path):
    cases = load_cases(write(tmp_path, GOOD))
    assert [c.id for c in cases] == ["t.ok"] and cases[0].suite == "s" and cases[0].line == 1


def test_shipped_suites_load():
    cases = load_cases()
    suites = {c.suite for c in cases}
    assert {"capabilities", "crud", "structure", "bindings", "search", "single-series"} <= suites
    assert all(c.requirement.text and c.requirement.version and c.requirement.section for c in cases)
    assert len({c.id for c in cases}) == len(cases)


def test_bad_yaml_reports_line(tmp_path):
    errs = errors(write(tmp_path, GOOD + "  bad: [unclosed\n"))
    assert len(errs) == 1 and "invalid YAML" in errs[0] and "c.yaml:" in errs[0]


def test_unknown_key_reports_file_and_line(tmp_path):
    text = GOOD.replace("    request: {method: GET, path: metadata}",
                        "    request: {method: GET, path: metadata, bogus: 1}")
    errs = errors(write(tmp_path, text))
    assert len(errs) == 1
    assert errs[0].startswith(str(Path(tmp_path / "s" / "c.yaml"))) or "c.yaml:7:" in errs[0]
    assert ":7:" in errs[0] and "bogus" in errs[0]


def test_unknown_top_level_key(tmp_path):
    errs = errors(write(tmp_path, GOOD + "colour: blue\n"))
    assert "colour" in errs[0] and ":1:" in errs[0]


def test_missing_required_and_wrong_type(tmp_path):
    errs = errors(write(tmp_path, GOOD.replace("versions: [r5]", "versions: [r9]")))
    assert ":4:" in errs[0] and "r9" in errs[0]


def test_missing_fixture(tmp_path):
    text = GOOD.replace("    request: {method: GET, path: metadata}",
                        "    request: {method: POST, path: ImagingStudy, fixture: no-such-fixture}")
    errs = errors(write(tmp_path, text))
    assert "no-such-fixture" in errs[0] and "does not exist" in errs[0]


def test_capture_cycle(tmp_path):
    text = GOOD + 'vars:\n  a: "${b}-x"\n  b: "${c}"\n  c: "${a}"\n'
    errs = errors(write(tmp_path, text))
    assert any("cycle" in e and "a -> b -> c -> a" in e for e in errs)


def test_capture_used_before_it_is_captured(tmp_path):
    text = GOOD.replace("    request: {method: GET, path: metadata}", '    request: {method: GET, path: "ImagingStudy/${id}"}')
    text += "  - name: later\n    request: {method: GET, path: metadata}\n    capture:\n      id: {fhirpath: id}\n"
    errs = errors(write(tmp_path, text))
    assert any("before it is captured" in e for e in errs)


def test_undefined_variable(tmp_path):
    text = GOOD.replace("path: metadata}", 'path: "x/${nope}"}')
    assert any("never defined" in e for e in errors(write(tmp_path, text)))


def test_duplicate_ids_across_files(tmp_path):
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD, "b.yaml")
    assert any("duplicate case id" in e for e in errors(tmp_path))


def test_dates_stay_strings(tmp_path):
    text = GOOD.replace("path: metadata}", "path: ImagingStudy, query: {started: 2024-02-07}}")
    (case,) = load_cases(write(tmp_path, text))
    assert case.steps[0].request.query == (("started", "2024-02-07"),)


def test_every_problem_listed_and_filters(tmp_path):
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD.replace("t.ok", "t.two"), "b.yaml", suite="other")
    assert [c.id for c in load_cases(tmp_path, suites=["other"])] == ["t.two"]
    assert [c.id for c in load_cases(tmp_path, case_ids=["t.ok"])] == ["t.ok"]
    with pytest.raises(CaseErrors):
        load_cases(tmp_path, suites=["nope"])
