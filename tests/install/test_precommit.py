"""The pre-commit hook (.pre-commit-hooks.yaml, issue #20 item 6), run by the real `pre-commit` tool on
a temporary git repository with one valid and one invalid FHIR file staged: `pre-commit try-repo`
with the hook as published, and `pre-commit run` with a config that passes the FHIR version as the
hook's argument. The hook repository is a commit of the checkout's files (try-repo installs the
hook's environment from it with pip; IMAGING_HARNESS_PURE=1 skips the Cython build there)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.install.conftest import clean_env, copy_checkout, run
from tests.shared import load_json

pytestmark = pytest.mark.slow


def git(cwd: Path, *args) -> str:
    done = run(["git", *args], cwd=cwd, env=_env(cwd))
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _env(cwd: Path) -> dict:
    return clean_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
                     GIT_COMMITTER_EMAIL="t@example.org", IMAGING_HARNESS_PURE="1",
                     PRE_COMMIT_HOME=str(cwd.parent / "pre-commit-home"))


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    repo = copy_checkout(tmp_path_factory.mktemp("hooks") / "imaging-harness")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the harness")
    return repo, git(repo, "rev-parse", "HEAD")


def project(tmp_path: Path, files: dict[str, object]) -> Path:
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q")
    for name, data in files.items():
        (repo / name).write_text(json.dumps(data, indent=1), encoding="utf-8")
    git(repo, "add", "-A")
    return repo


def pre_commit(repo: Path, *args) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "pre_commit", *args], cwd=repo, env=_env(repo), timeout=1200)


def test_try_repo_validates_the_staged_files(hook_repo, tmp_path):
    valid = load_json("fixtures/valid/r5/imagingstudy-ct-chest.json")
    invalid = json.loads(json.dumps(valid))
    invalid["status"] = "finished-ish"  # not in the required binding
    repo = project(tmp_path, {"good.json": valid, "bad.json": invalid})
    done = pre_commit(repo, "try-repo", hook_repo[0], "fhir-validate", "--verbose")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-3000:]
    assert "good.json: ImagingStudy/" in out and "[r5] valid" in out
    assert "bad.json: ImagingStudy/" in out and "[r5] INVALID" in out and "ImagingStudy.status" in out
    assert "2 resources, 1 valid, 1 invalid" in out


def test_the_fhir_version_is_the_hooks_argument(hook_repo, tmp_path):
    study = load_json("fixtures/valid/r4/imagingstudy-ct-abdomen.json")  # valid R4, invalid R5
    broken = json.loads(json.dumps(study))
    del broken["series"][0]["uid"]
    repo = project(tmp_path, {"study.json": study, "broken.json": broken})
    path, rev = hook_repo
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {path}\n    rev: {rev}\n    hooks:\n      - id: fhir-validate\n"
        "        args: [--fhir-version, r4]\n", encoding="utf-8")
    git(repo, "add", ".pre-commit-config.yaml")
    done = pre_commit(repo, "run", "--verbose")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-3000:]
    assert "study.json: ImagingStudy/ct-abdomen-2019-11-20 [r4] valid" in out
    assert "broken.json: ImagingStudy/ct-abdomen-2019-11-20 [r4] INVALID" in out and "series[0].uid" in out
    git(repo, "rm", "-q", "--cached", "broken.json")
    (repo / "broken.json").unlink()
    assert pre_commit(repo, "run").returncode == 0
