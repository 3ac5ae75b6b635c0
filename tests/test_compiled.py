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
import subprocess
import sys
from pathlib import Path

from harness import compiled
from harness.imaging.context import Index
from harness.validation.sources import validate_paths
from harness.validation.validator import validate_value

ROOT = Path(__file__).resolve().parent.parent
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
    from tests.test_fastpath import _load, _mutate
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
    code = ("import json, sys; from harness import compiled; import tests.test_compiled as t; "
            "json.dump({'status': compiled.status(), 'results': t.results()}, sys.stdout)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    there = json.loads(run.stdout)
    assert all(v != "compiled" for v in there["status"].values())  # the second process ran source only
    assert len(here) > 1000 and json.loads(json.dumps(here)) == there["results"]


def test_a_source_newer_than_its_build_runs_as_source(tmp_path):
    """An edit after the build must not run the old compiled code."""
    pkg = tmp_path / "harness"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    src = Path(compiled.__file__).read_text(encoding="utf-8")
    (pkg / "compiled.py").write_text(src, encoding="utf-8")
    (pkg / "mod.py").write_text("WHERE = 'source'\n")
    built = pkg / ("mod" + compiled.importlib.machinery.EXTENSION_SUFFIXES[0])
    built.write_bytes(b"not a real extension")  # never loaded: its source is newer
    os.utime(built, (1_000_000_000, 1_000_000_000))
    code = ("import harness.compiled as c, harness.mod as m; print(m.WHERE, c.status()['harness.mod'])")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env={k: v for k, v in os.environ.items() if k != compiled.PURE_ENV})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "source the source is newer than the build (reinstall to compile it)"


def test_the_status_names_every_built_module():
    status = compiled.status()
    assert all(name.startswith("harness.") for name in status)
    assert compiled.summary()
