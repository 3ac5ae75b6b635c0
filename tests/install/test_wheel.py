"""Installed as a release is installed (issue #20, items 1 and 2): the wheel in a fresh virtual
environment runs `run` and `cases` from an empty folder (the cases and datasets are package data),
every built module runs compiled, and only an edit of a source (not touching it) makes it run as
source. The wheel carries no generated C."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest

from tests.install.conftest import run
from tests.shared import DEFAULT_REPORTS, ROOT

pytestmark = pytest.mark.slow


def compiled_modules() -> list[str]:
    """The modules the build compiles: those whose first line is the marker (harness/compiled.py)."""
    from harness import compiled

    return sorted(compiled.marked(ROOT / "harness"))


def shipped_files() -> dict[str, bytes]:
    """What the wheel must carry as package data: the top-level folders, file for file."""
    out = {}
    for folder in ("testcases", "fixtures/datasets", "fixtures/negative"):
        for p in sorted((ROOT / folder).rglob("*")):
            if p.is_file() and not p.name.startswith("."):
                out["harness/_data/" + p.relative_to(ROOT).as_posix()] = p.read_bytes()
    return out


def site_packages(bin_dir: Path) -> Path:
    (sp,) = (bin_dir.parent / "lib").glob("python3*/site-packages")
    return sp


def test_the_wheel_ships_cases_datasets_and_the_build_record_but_no_c(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert not [n for n in names if n.endswith(".c")]
        expected = shipped_files()
        assert len(expected) > 30
        assert {n for n in names if n.startswith("harness/_data/")} == set(expected)
        assert all(z.read(n) == data for n, data in expected.items())
        record = json.loads(z.read("harness/_compiled.json"))
        sources = {m: z.read(m.replace(".", "/") + ".py") for m in compiled_modules()}
    assert record == {m: hashlib.sha256(s).hexdigest() for m, s in sources.items()}


def test_the_build_writes_its_generated_c_outside_the_package(wheel):
    """The wheel is built in a copy of the checkout: Cython's C is under build/cython/ there, and no
    .c file sits beside a source (an editable install builds the same way, in the checkout)."""
    src = wheel.parent.parent / "src"
    assert not list((src / "harness").rglob("*.c"))
    generated = {p.relative_to(src / "build" / "cython").with_suffix("").as_posix().replace("/", ".")
                 for p in (src / "build" / "cython").rglob("*.c")}
    assert generated == set(compiled_modules())


def test_run_and_cases_from_an_empty_folder(installed, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run([installed / "imaging-harness", "run"], cwd=empty)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert sorted(p.name for p in (empty / "reports").iterdir()) == list(DEFAULT_REPORTS)
    results = json.loads((empty / "reports" / "results.json").read_text(encoding="utf-8"))
    from harness.engine.loader import load_cases

    in_checkout = {c.id for c in load_cases(ROOT / "testcases")}
    assert in_checkout <= {c["id"] for c in results["cases"]}
    listed = run([installed / "imaging-harness", "cases", "--format", "json"], cwd=empty)
    assert listed.returncode == 0, listed.stderr
    assert {c["id"] for c in json.loads(listed.stdout)} == in_checkout
    # a user's own cases still come from --cases
    own = tmp_path / "own"
    (own / "mine").mkdir(parents=True)
    src = next((ROOT / "testcases" / "capabilities").glob("*.yaml"))
    (own / "mine" / src.name).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    mine = run([installed / "imaging-harness", "cases", "--cases", own], cwd=empty)
    assert mine.returncode == 0, mine.stderr
    assert " mine " in mine.stdout


def _version(installed) -> str:
    done = run([installed / "imaging-harness", "version"], cwd=installed)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[0]


def _status(installed) -> dict:
    code = "import json; from harness import compiled; print(json.dumps(compiled.status()))"
    done = run([installed / "python", "-c", code], cwd=installed)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_built_module_runs_compiled_and_touching_changes_nothing(installed):
    n = len(compiled_modules())
    assert f"({n} of {n} built modules compiled (Cython))" in _version(installed)
    assert _status(installed) == {m: "compiled" for m in compiled_modules()}
    package = site_packages(installed) / "harness"
    later = max(p.stat().st_mtime for p in package.rglob("*")) + 100
    for p in package.rglob("*.py"):  # every source newer than every compiled file
        os.utime(p, (later, later))
    assert _status(installed) == {m: "compiled" for m in compiled_modules()}


def test_an_edited_source_runs_as_source_until_reinstalled(installed):
    source = site_packages(installed) / "harness" / "imaging" / "uids.py"
    original = source.read_bytes()
    try:
        source.write_bytes(original + b"\n# edited after the install\n")
        status = _status(installed)
        assert status.pop("harness.imaging.uids") == "the source differs from the one compiled (reinstall to compile it)"
        assert set(status.values()) == {"compiled"}
        n = len(compiled_modules())
        assert f"({n - 1} of {n} built modules compiled (Cython))" in _version(installed)
    finally:
        source.write_bytes(original)
    assert _status(installed)["harness.imaging.uids"] == "compiled"
