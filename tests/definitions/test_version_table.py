"""The one version table (harness/definitions/versions.json): issue #22 item 2.

Every list of versions is derived from it: a row added to the table (in a fresh process, before the
harness is imported) appears in every place that offers or accepts versions; no harness source file
(nor a build script) spells a list of version names; and the table agrees with the data it describes
(the definitions' manifests, the imaging tables, the fixtures, fhirpathpy's models, the seed modules).
"""

from __future__ import annotations

import ast
import copy
import json
import re
import subprocess
import sys

import pytest
from fhirpathpy.models import models as fhirpath_models

from harness import definitions
from harness.definitions import versions
from tests.shared import ROOT

DOC = json.loads(versions.TABLE.read_text(encoding="utf-8"))

#: files that may name several versions, each with its reason (data keyed by version, not a list of
#: the versions the harness knows)
ALLOWED = {
    "harness/definitions/versions.json": "the table itself",
    "harness/imaging/tables.json": "imaging data per version (element paths, UID forms): one row per version",
    "scripts/seeded/base.py": "base content copied from the R4 and R5 packages, keyed by the version copied",
}


# --- the table agrees with the data it describes ------------------------------------------------------

@pytest.mark.parametrize("row", versions.rows(), ids=lambda r: r.name)
def test_each_row_agrees_with_its_generated_definitions(row):
    manifest = definitions.load(row.name).manifest
    assert (manifest["version"], manifest["fhirVersion"], manifest["inherits"]) == (
        row.name, row.fhir_version, row.inherits)
    if row.package:
        assert "@".join((manifest["source"]["package"], manifest["source"]["packageVersion"])) == row.package
    else:
        assert (ROOT / "scripts" / "seeded" / f"{row.seed}.py").is_file()
        assert "seeds" in manifest["source"]
    assert row.fhirpath_model in fhirpath_models
    assert definitions.load(row.name).label == row.label


def test_every_version_has_definitions_and_an_imaging_table_row_and_nothing_else_does():
    folders = {p.parent.name for p in (ROOT / "harness" / "definitions").glob("*/manifest.json")}
    assert folders == set(versions.names()) == set(definitions.available())
    imaging = json.loads((ROOT / "harness" / "imaging" / "tables.json").read_text(encoding="utf-8"))
    assert set(imaging["versions"]) == set(versions.names())


def test_served_and_runnable_versions_have_their_types_and_fixtures():
    for name in versions.served():
        defs = definitions.load(name)
        assert all(defs.kind(t) == "resource" for t in versions.row(name).server["resourceTypes"])
    for name in versions.runnable():
        family = versions.row(name).run["fixtures"]
        assert (ROOT / "fixtures" / "datasets" / family).is_dir() and (ROOT / "fixtures" / "negative" / family).is_dir()
        assert versions.named_by(versions.row(name).fhir_version) == name
    assert versions.default() in versions.served()


@pytest.mark.parametrize("change, message", [
    (lambda d: d["versions"].append(copy.deepcopy(d["versions"][0])), "appears twice"),
    (lambda d: d["versions"][0].update(inherits="r9"), "inherits 'r9'"),
    (lambda d: d["versions"][1]["source"].update(seed="x"), "exactly one of package, seed"),
    (lambda d: d.update(default="r9"), "default 'r9'"),
])
def test_an_inconsistent_table_is_refused_with_its_reason(change, message):
    doc = copy.deepcopy(DOC)
    change(doc)
    with pytest.raises(ValueError, match=re.escape(message)):
        versions.parse(doc)


# --- every place reads the table ----------------------------------------------------------------------

EXTRA = {"name": "r9-extra", "label": "FHIR R9 (test row)", "fhirVersion": "9.0.0",
         "source": {"package": "hl7.fhir.r9.core@9.0.0"}, "inherits": None, "fhirpathModel": "r5",
         "server": {"resourceTypes": ["ImagingStudy"], "searchParameter": {}},
         "run": {"fixtures": "r9-family", "fhirVersionPrefixes": ["9."]}}
SEEDED = {"name": "r9-seeded", "label": "FHIR R9 ballot (test row)", "fhirVersion": "9.0.0-ballot",
          "source": {"seed": "r6_ballot2"}, "inherits": "r5", "fhirpathModel": "stu3", "server": None, "run": None}

#: run in a fresh process: the table gets the two rows before anything of the harness reads it
PROBE = r"""
import importlib, json, sys
from harness.definitions import versions
doc = json.loads(versions.TABLE.read_text(encoding="utf-8"))
doc["versions"] += json.loads(sys.argv[1])
table = versions.parse(doc)
versions._table = lambda: table
import harness.definitions
importlib.reload(harness.definitions)
sys.path.insert(0, "scripts")
import _version_table
_version_table.version_table()._table = lambda: table

import click, typer
from harness import cli
from harness.engine import capabilities, fixtures, loader
from harness.server import app
from harness.validation import fhirpath
import build_definitions, build_seeded, harness.pytest_plugin as plugin

command = typer.main.get_command(cli.app)
def helps(name):
    return {p.name: p.help for p in command.commands[name].params}
class Group:
    def __init__(self): self.options = {}
    def getgroup(self, *a): return self
    def addoption(self, name, **kw): self.options[name] = kw
group = Group()
plugin.pytest_addoption(group)
try:
    app.create_app("nonesuch")
except ValueError as e:
    refused = str(e)
print(json.dumps({
    "VERSIONS": harness.definitions.VERSIONS, "LABELS": harness.definitions.LABELS,
    "validate": helps("validate")["fhir_version"], "run": helps("run")["fhir_version"],
    "embedded": helps("run")["embedded_version"], "serve": helps("serve")["fhir_version"],
    "page": app.VALIDATOR_PAGE, "refused": refused,
    "MODEL_FOR": fhirpath.MODEL_FOR, "case_versions": loader.schema_validator().schema["properties"]["versions"],
    "family": fixtures.family("r9-extra"), "named": capabilities.version_name("9.0.1"),
    "plugin": list(group.options["--fhir-version"]["choices"]), "plugin_help": group.options["--fhir-version"]["help"],
    "PACKAGES": build_definitions.PACKAGES, "seeded": [m.__name__ for m in build_seeded.MODULES],
}))
"""


@pytest.fixture(scope="module")
def probed() -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps([EXTRA, SEEDED])], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_new_row_reaches_the_definitions_loader_the_cli_and_the_pytest_plugin(probed):
    assert probed["VERSIONS"][-2:] == ["r9-extra", "r9-seeded"]
    assert probed["LABELS"]["r9-seeded"] == "FHIR R9 ballot (test row)"
    assert "r9-extra" in probed["validate"] and "r9-seeded" in probed["validate"]
    assert "r9-extra" in probed["run"] and "r9-seeded" not in probed["run"]  # run: the runnable rows
    assert "r9-extra" in probed["embedded"] and "r9-extra" in probed["serve"]  # the served rows
    assert probed["plugin"] == ["auto", "r4", "r4b", "r5", "r9-extra"] and "r9-extra" in probed["plugin_help"]


def test_a_new_row_reaches_the_server_the_engine_fhirpath_and_the_build_scripts(probed):
    assert "<option>r9-extra</option><option>r9-seeded</option></select>" in probed["page"]
    assert probed["refused"] == "the reference server speaks r4, r5 or r9-extra, not 'nonesuch'"
    assert probed["MODEL_FOR"]["r9-seeded"] == "stu3"
    assert probed["case_versions"]["items"]["enum"] == ["r4", "r4b", "r5", "r9-extra"]
    assert (probed["family"], probed["named"]) == ("r9-family", "r9-extra")
    assert probed["PACKAGES"]["r9-extra"] == ["hl7.fhir.r9.core", "9.0.0"]
    assert probed["seeded"] == ["seeded.stu3_ballot", "seeded.r5_snapshot1", "seeded.r6_ballot2", "seeded.r6_ballot2"]


# --- nobody spells a version list again -----------------------------------------------------------------

NAMES = sorted(versions.names(), key=len, reverse=True)
WORD = re.compile(r"(?<![\w.-])(" + "|".join(map(re.escape, NAMES)) + r")(?![\w-])")


def _lists_in_python(source: str) -> list[tuple[int, str]]:
    """(line, what) of each string naming two or more versions and each tuple, list, set or dict
    literal with two or more version names as items or keys."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            named = set(WORD.findall(node.value))
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
            items = node.keys if isinstance(node, ast.Dict) else node.elts
            named = {i.value for i in items if isinstance(i, ast.Constant) and i.value in NAMES}
        else:
            continue
        if len(named) >= 2:
            found.append((node.lineno, ", ".join(sorted(named))))
    return found


def _lists_in_json(value, where: str = "$") -> list[tuple[str, str]]:
    named: set = set()
    found = []
    if isinstance(value, str):
        named = set(WORD.findall(value))
    elif isinstance(value, list):
        named = {v for v in value if isinstance(v, str) and v in NAMES}
        for i, v in enumerate(value):
            found += _lists_in_json(v, f"{where}[{i}]")
    elif isinstance(value, dict):
        named = {k for k in value if k in NAMES}
        for k, v in value.items():
            found += _lists_in_json(v, f"{where}.{k}")
    return found + ([(where, ", ".join(sorted(named)))] if len(named) >= 2 else [])


def _sources():
    for path in sorted([*(ROOT / "harness").rglob("*.py"), *(ROOT / "harness").rglob("*.json"),
                        *(ROOT / "scripts").rglob("*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED or (rel.startswith("harness/definitions/") and rel.count("/") > 2):
            continue  # the generated definitions folders are data, one folder per version
        yield rel, path


def test_no_source_outside_the_table_spells_a_version_list():
    spelled = []
    for rel, path in _sources():
        text = path.read_text(encoding="utf-8")
        hits = _lists_in_python(text) if rel.endswith(".py") else _lists_in_json(json.loads(text))
        spelled += [f"{rel}:{line}: {names}" for line, names in hits]
    assert spelled == [], "derive these from harness/definitions/versions.py:\n" + "\n".join(spelled)


def test_the_guard_finds_a_hand_written_version_list():
    assert _lists_in_python('KNOWN = ("r4", "r4b", "r5")\n') == [(1, "r4, r4b, r5")]
    assert _lists_in_python('HELP = "r4 or r5."\nONE = "r5"\n') == [(1, "r4, r5")]
    assert _lists_in_python('M = {"stu3": 1, "r6-ballot2": 2}\n') == [(1, "r6-ballot2, stu3")]
    assert _lists_in_json({"items": {"enum": ["r4", "r4b"]}, "version": "r5"}) == [("$.items.enum", "r4, r4b")]
    assert _lists_in_python('V = "r5-snapshot1"\nW = "hl7.fhir.r4.core r5x"\n') == []
