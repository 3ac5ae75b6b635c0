"""Where the data and the compiled modules come from in this (editable or checkout) install; the
wheel's side is tests/install/test_wheel.py."""

from __future__ import annotations

import ast
import os

from harness import compiled, shipped
from harness.engine import fixtures, loader
from tests.shared import ROOT


def test_a_checkout_reads_the_top_level_folders():
    assert not (ROOT / "harness" / shipped.SHIPPED).exists()  # package data is built, never committed
    assert loader.DEFAULT_CASES == ROOT / "testcases"
    assert fixtures.ROOT == ROOT / "fixtures"
    assert all((ROOT / name).is_dir() for name in shipped.FOLDERS)


def test_setup_ships_what_shipped_reads():
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    consts = {n.targets[0].id: ast.literal_eval(n.value) for n in tree.body
              if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name) and isinstance(n.value, (ast.Constant, ast.Tuple))}
    assert consts["SHIPPED"] == shipped.FOLDERS
    assert consts["RECORD"] == compiled.RECORD


def test_every_built_module_of_this_install_runs_compiled():
    """An editable install with a C compiler (CI's) records its build in place: nothing runs as source."""
    status = compiled.status()
    if not os.environ.get(compiled.PURE_ENV):
        assert [m for m, why in status.items() if why != "compiled"] == []
