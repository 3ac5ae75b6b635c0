"""The harness installed as a release is installed: a wheel built from the checkout's files (the
compiled build, as a user's `pip install` makes it), installed into a fresh virtual environment with
its dependencies from the package index or pip's cache, as pip normally does.

The wheel is built once per session from a copy of the files git tracks (plus new, not ignored ones),
so nothing else of the checkout can leak in and the checkout is left untouched. These tests are
marked `slow` (the Cython build takes minutes); they run in the README's test command and in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.shared import ROOT

PURE_ENV = "IMAGING_HARNESS_PURE"


def clean_env(**extra) -> dict:
    """The environment of a user's shell: no PURE switch, no venv of ours on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in (PURE_ENV, "VIRTUAL_ENV", "PYTHONPATH")}
    return {**env, **extra}


def checkout_files() -> list[str]:
    run = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                         check=True)
    return [f for f in run.stdout.decode().split("\0") if f and (ROOT / f).is_file()]


def copy_checkout(target: Path) -> Path:
    for f in checkout_files():
        (target / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, target / f)
    return target


def run(cmd, timeout=900, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("env", clean_env())
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kw)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The compiled wheel, built by pip from a copy of the checkout."""
    base = tmp_path_factory.mktemp("wheel")
    src = copy_checkout(base / "src")
    out = base / "dist"
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", src, "-w", out],
                timeout=1800)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (whl,) = out.glob("imaging_harness-*.whl")
    return whl


@pytest.fixture(scope="session")
def installed(wheel, tmp_path_factory) -> Path:
    """The bin folder of a fresh virtual environment the wheel is installed in."""
    env_dir = tmp_path_factory.mktemp("venv") / "release"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    done = run([env_dir / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check", wheel])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return env_dir / "bin"
