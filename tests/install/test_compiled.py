"""The compiled modules (setup.py, harness/compiled.py) give exactly the results of the source.

The same validations run twice: here, with whatever the install compiled, and in a second process
with IMAGING_HARNESS_PURE=1, where every module runs from source. They must agree result for result:
every fixture file (as `validate` reads it, folders and Bundles included), a generated corpus with
and without its studies as context, and seeded mutations of the valid fixtures (structural defects,
which take the full walk).
"""

from __future__ import annotations

import json
import os
import random
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import setuptools

from harness import compiled
from harness.imaging.context import Index
from harness.validation.sources import validate_paths
from harness.validation.validator import validate_value
from tests.shared import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

from corpus import r4_studies, r5_imaging  # noqa: E402


def _rows(results) -> list:
    return [r.as_dict() for r in results]


def results() -> list:
    """Every result of the comparison, as JSON values."""
    out = _rows(validate_paths([str(ROOT / "fixtures")]))
    for version, corpus in (("r4", r4_studies(150)), ("r5", r5_imaging(150))):
        context = Index.of("the corpus", corpus)
        for i, resource in enumerate(corpus):
            out += _rows([validate_value(resource, f"corpus#{i}", version),
                          validate_value(resource, f"corpus#{i}", version, resolver=context)])
    from tests.validation.test_fastpath import _load, _mutate
    rng = random.Random(11)
    for version in ("r4", "r5"):
        valid = [d for d in (_load(p) for p in sorted((ROOT / "fixtures/valid" / version).glob("*.json")))
                 if isinstance(d, dict)]
        for i in range(400):
            out += _rows([validate_value(_mutate(rng.choice(valid), rng), f"mutation#{i}", version)])
    return out


def test_the_source_gives_the_results_of_the_compiled_modules():
    here = results()
    env = dict(os.environ, **{compiled.PURE_ENV: "1"})
    code = ("import json, sys; from harness import compiled; import tests.install.test_compiled as t; "
            "json.dump({'status': compiled.status(), 'results': t.results()}, sys.stdout)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    there = json.loads(run.stdout)
    assert all(v != "compiled" for v in there["status"].values())  # the second process ran source only
    assert len(here) > 1000 and json.loads(json.dumps(here)) == there["results"]


def _setup_globals(monkeypatch) -> dict:
    """setup.py's globals, as a build reads it, without building (setup() does nothing here)."""
    monkeypatch.setattr(setuptools, "setup", lambda **kw: None)
    monkeypatch.setenv(compiled.PURE_ENV, "1")  # extensions() compiles nothing
    monkeypatch.chdir(ROOT)
    return runpy.run_path(str(ROOT / "setup.py"))


def test_the_build_compiles_exactly_the_marked_modules(monkeypatch):
    """setup.py finds the modules to compile by their first line, as compiled.marked() does."""
    setup = _setup_globals(monkeypatch)
    assert setup["MARKER"] == compiled.MARKER
    modules = {path.removesuffix(".py").replace("/", ".") for path in setup["compiled_sources"]()}
    assert modules == compiled.marked()
    assert {"harness.imaging.rules", "harness.validation.fastpath", "harness.validation.structure"} <= modules
    assert "harness.compiled" not in modules and "harness.validation.jsonparse" not in modules
    assert setup["C_DIR"] == os.path.join("build", "cython")  # Cython's C goes there, not beside a source


def test_the_built_modules_are_the_marked_ones():
    """In a compiled install, every marked module has a compiled file and no other module has one."""
    built = compiled.status()
    if not built:
        pytest.skip("a pure-Python install (IMAGING_HARNESS_PURE=1 at install time): nothing was built")
    marked = compiled.marked()
    assert set(built) == marked, (f"marked, not built: {sorted(marked - set(built))} (reinstall to build them); "
                                  f"built, not marked: {sorted(set(built) - marked)}")


def _fake_package(tmp_path: Path, record: dict | None) -> Path:
    """harness/ with compiled.py, a module `mod` and a compiled file beside it (never loaded unless
    compiled.py chose it: it is not a real extension)."""
    pkg = tmp_path / "harness"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "compiled.py").write_text(Path(compiled.__file__).read_text(encoding="utf-8"), encoding="utf-8")
    (pkg / "mod.py").write_text("WHERE = 'source'\n")
    built = pkg / ("mod" + compiled.importlib.machinery.EXTENSION_SUFFIXES[0])
    built.write_bytes(b"not a real extension")
    if record is not None:
        (pkg / compiled.RECORD).write_text(json.dumps(record), encoding="utf-8")
    return pkg


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_edited_source_runs_as_source(tmp_path):
    """An edit after the build must not run the old compiled code: the build recorded another hash."""
    pkg = _fake_package(tmp_path, {"harness.mod": "0" * 64})
    code = "import harness.compiled as c, harness.mod as m; print(m.WHERE, c.status()['harness.mod'])"
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env={k: v for k, v in os.environ.items() if k != compiled.PURE_ENV})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "source the source differs from the one compiled (reinstall to compile it)"
    assert pkg.is_dir()


def test_the_decision_rests_on_the_source_content_not_on_file_times(tmp_path, monkeypatch):
    """pip writes each .py after its compiled file; touching files must not change which code runs."""
    monkeypatch.delenv(compiled.PURE_ENV, raising=False)
    pkg = _fake_package(tmp_path, None)
    (pkg / compiled.RECORD).write_text(json.dumps({"harness.mod": _sha(pkg / "mod.py")}), encoding="utf-8")
    built = next(pkg.glob("mod.*"))
    os.utime(built, (1_000_000_000, 1_000_000_000))  # the source is far newer than its build
    found, source = compiled.decide(pkg)
    assert set(found) == {"harness.mod"} and source == {}
    os.utime(pkg / "mod.py", (900_000_000, 900_000_000))  # and far older
    assert compiled.decide(pkg)[1] == {}
    (pkg / "mod.py").write_text("WHERE = 'edited'\n")
    assert compiled.decide(pkg)[1] == {"harness.mod": "the source differs from the one compiled (reinstall to compile it)"}
    (pkg / compiled.RECORD).write_text("{not json", encoding="utf-8")
    assert compiled.decide(pkg)[1] == {"harness.mod": "the build recorded no source for it (reinstall to compile it)"}
    (pkg / compiled.RECORD).unlink()
    assert compiled.decide(pkg)[1] == {"harness.mod": "the build recorded no source for it (reinstall to compile it)"}
    monkeypatch.setenv(compiled.PURE_ENV, "1")
    assert compiled.decide(pkg)[1] == {"harness.mod": f"{compiled.PURE_ENV} is set"}


def test_the_status_names_every_built_module():
    status = compiled.status()
    assert all(name.startswith("harness.") for name in status)
    assert compiled.summary()
