"""The one check registry (harness.validation.catalog): every issue names a registered rule, every check
says which rules it reports, every rule has a failing fixture that reports it and a passing one that
does not, and docs/rules.md is what the registry generates.

Passing inputs: fixtures/valid/<version>/. Failing inputs: fixtures/invalid/ (validated with the
version expectations.json gives each) and fixtures/negative/<version>/ (the run's negative resources).
fixtures/datasets/<version>/ are validated too, for the registered-id check only. The official examples
are held to the same by tests/test_official_examples.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from harness.catalog import render_markdown
from harness.imaging import rules as imaging_rules
from harness.validation import catalog
from harness.validation.sources import JSON_SUFFIXES, validate_paths

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
EXPECTATIONS: dict[str, dict] = json.loads((FIXTURES / "invalid" / "expectations.json").read_text(encoding="utf-8"))

#: rules a passing fixture may report: information notes that say what was not or could not be
#: checked (a valid resource can need them), never a finding against the resource
NOTES_ON_PASSING = {
    "binding.unchecked": "a required binding to a value set the definitions cannot expand",
    "imaging.unresolved": "a single resource whose ImagingStudy is not in the input",
}


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in JSON_SUFFIXES
                  and p.name != "expectations.json")


def _inputs() -> list[tuple[str, str | None, str]]:
    """(path, version or None, 'passing' / 'failing' / 'dataset') for every fixture the suite validates."""
    out = [(str(p), p.relative_to(FIXTURES / "valid").parts[0], "passing") for p in _files(FIXTURES / "valid")]
    out += [(str(FIXTURES / "invalid" / name), entry["fhirVersion"], "failing")
            for name, entry in sorted(EXPECTATIONS.items())]
    out += [(str(p), p.relative_to(FIXTURES / "negative").parts[0], "failing") for p in _files(FIXTURES / "negative")]
    out += [(str(p), p.relative_to(FIXTURES / "datasets").parts[0], "dataset") for p in _files(FIXTURES / "datasets")]
    return out


@lru_cache(maxsize=1)
def _reported() -> dict[str, dict[str, set[str]]]:
    """role -> rule id -> the inputs that report it."""
    out: dict[str, dict[str, set[str]]] = {"passing": {}, "failing": {}, "dataset": {}}
    for path, version, role in _inputs():
        for result in validate_paths([path], version):
            for issue in result.issues:
                out[role].setdefault(issue.rule, set()).add(Path(path).relative_to(ROOT).as_posix())
    return out


def test_every_reported_rule_id_is_registered():
    reported = {rule for by_rule in _reported().values() for rule in by_rule}
    assert reported, "no issue reported at all: the fixtures were not validated"
    assert {r for r in reported if not catalog.registered(r)} == set()


def test_the_rule_ids_the_engine_names_are_registered():
    from harness.engine.assertions import SINGLE_SERIES_RULES

    assert [r for r in SINGLE_SERIES_RULES if not catalog.registered(r) or r.startswith("invariant.")] == []


def test_every_registered_rule_has_a_failing_fixture_that_reports_it():
    failing = _reported()["failing"]
    rules = {r.id for r in catalog.all_rules()} - {"invariant.*"}
    assert rules - set(failing) == set()
    assert any(r.startswith("invariant.") and r != "invariant.not-evaluated" for r in failing)


def test_no_passing_fixture_reports_a_rule_but_the_listed_notes():
    passing = _reported()["passing"]
    assert {r: sorted(files) for r, files in passing.items() if r not in NOTES_ON_PASSING} == {}
    assert all(catalog.get(r).severity == "information" for r in NOTES_ON_PASSING)


def test_each_check_reports_only_the_rules_registered_on_it(monkeypatch):
    declared = catalog.declared()
    seen: dict[str, set[str]] = {}

    def watched(fn):
        name = f"{fn.__module__}.{fn.__qualname__}"

        def run(subject):
            issues = list(fn(subject))
            seen.setdefault(name, set()).update(i.rule for i in issues)
            return issues
        return run

    checks = {kind: [(fine, watched(fn)) for fine, fn in entries] for kind, entries in imaging_rules._CHECKS.items()}
    names = {f"{fn.__module__}.{fn.__qualname__}" for entries in imaging_rules._CHECKS.values() for _, fn in entries}
    assert names - set(declared) == set(), "checks without @rule / @reports"
    monkeypatch.setattr(imaging_rules, "_CHECKS", checks)
    imaging_rules._PLANS.clear()
    try:
        for path, version, _ in _inputs():
            list(validate_paths([path], version))
    finally:
        monkeypatch.undo()
        imaging_rules._PLANS.clear()
    assert {name: rules - declared[name] for name, rules in seen.items() if rules - declared[name]} == {}
    # and each (check, rule) registered is reported by that check on some fixture: no untested path
    assert {name: ids - seen.get(name, set()) for name, ids in declared.items() if ids - seen.get(name, set())} == {}


def test_every_rule_a_check_names_is_registered_once_with_words():
    named = {rule for rules in catalog.declared().values() for rule in rules}
    assert named - {r.id for r in catalog.all_rules()} == set()
    for r in catalog.all_rules():
        assert r.severity in ("error", "warning", "information"), r.id
        assert r.title and len(r.requirement) > 40, r.id
    with pytest.raises(ValueError, match="registered twice"):
        catalog.rule("imaging.uid", "error", "again", "a second registration of the same id")


def test_rules_document_is_what_the_generator_prints():
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == render_markdown(), "docs/rules.md is stale: python -m harness.catalog > docs/rules.md"
    printed = subprocess.run([sys.executable, "-m", "harness.catalog"], cwd=ROOT, capture_output=True,
                             text=True, encoding="utf-8", timeout=120)
    assert printed.returncode == 0 and printed.stdout == committed


#: quoted words that rightly stand in a second place: (rule, the other file)
SECOND_QUOTES = {
    # an excerpt of the urn:dicom:uid sentence that imaging.study-identifier quotes whole
    ("imaging.uid-encoding", "harness/imaging/identifiers.py"),
    # the engine's own gate for server-given ids cites the same datatype text in its docstring
    ("structure.resource-id", "harness/engine/ids.py"),
}


def _source_texts() -> dict[str, str]:
    """Every harness/ source and data file but the official definitions, with adjacent Python string
    literals joined (so a quote split over lines is found)."""
    out = {}
    for p in sorted((ROOT / "harness").rglob("*")):
        if p.is_file() and p.suffix in (".py", ".json") and "definitions" not in p.relative_to(ROOT).parts[1:2]:
            text = p.read_text(encoding="utf-8").replace('\\"', '"')
            out[p.relative_to(ROOT).as_posix()] = re.sub(r'"\s*\n\s*f?"', "", text) if p.suffix == ".py" else text
    return out


def test_the_words_of_each_requirement_are_written_once():
    texts = _source_texts()
    twice = {}
    for r in catalog.all_rules():
        for quote in re.findall(r"'([^']{20,})'", r.requirement):
            where = sorted(path for path, text in texts.items() if quote[:30] in text)
            assert where, (r.id, quote)  # the registry's words come from somewhere in harness/
            if len([path for path in where if (r.id, path) not in SECOND_QUOTES]) > 1:
                twice[(r.id, quote[:30])] = where
    assert twice == {}
