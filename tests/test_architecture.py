"""The floors of the code hold: the import contracts in pyproject.toml ([tool.importlinter], the
floor order of the README's Architecture section) pass, every top-level module of the harness has a
floor, and no module of the harness imports itself through others (no circles). Each check is shown
to fail on an import that breaks it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

from tests.shared import ROOT

LINT = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"


def lint(where: Path) -> subprocess.CompletedProcess:
    """import-linter's command on the harness package found in `where`, with `where`'s pyproject."""
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run([LINT, "--no-cache"], cwd=where, env=env, capture_output=True, text=True, timeout=300)


def contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def test_the_import_contracts_are_kept():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(contracts())} kept, 0 broken." in done.stdout, done.stdout


def test_a_forbidden_import_breaks_its_contract(tmp_path):
    """A copy of the package with two imports that the floors forbid: the server reaching for the
    search oracle, and validation's core reaching up to the pipeline."""
    shutil.copytree(ROOT / "harness", tmp_path / "harness",
                    ignore=lambda d, names: [n for n in names if not n.endswith(".py") and not (Path(d) / n).is_dir()
                                             or n == "__pycache__"])
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for module, line in (("server/faults.py", "import harness.search.oracle"),
                         ("validation/issues.py", "import harness.pipeline.validator")):
        path = tmp_path / "harness" / module
        path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # injected\n", encoding="utf-8")
    done = lint(tmp_path)
    out = " ".join(done.stdout.split())  # the report wraps long names
    assert done.returncode == 1, out
    assert f"Contracts: {len(contracts()) - 2} kept, 2 broken." in out
    assert "Floors: each imports only the floors below it BROKEN" in out
    assert "never imports the search oracle (its SQL search is an independent implementation) BROKEN" in out
    assert "harness.validation.issues -> harness.pipeline.validator" in out
    assert "harness.server.faults -> harness.search.oracle" in out


def test_every_top_level_module_has_a_floor():
    floors = next(c for c in contracts() if c["id"] == "floors")["layers"]
    placed = {name.strip() for layer in floors for name in layer.replace(":", "|").split("|")}
    found = {f"harness.{p.stem}" for p in (ROOT / "harness").glob("*.py") if p.stem != "__init__"} | \
            {f"harness.{p.parent.name}" for p in (ROOT / "harness").glob("*/__init__.py")}
    assert found == placed


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_of_the_harness_imports_itself_through_others():
    graph = grimp.build_graph("harness", cache_dir=None)
    assert circles(graph) == []
    # references imports issues: one import back makes a circle, and it is found
    graph.add_import(importer="harness.validation.issues", imported="harness.validation.references")
    assert circles(graph) == [["harness.validation.issues", "harness.validation.references"]]
