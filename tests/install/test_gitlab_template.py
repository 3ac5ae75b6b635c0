"""The GitLab CI template (ci/gitlab/imaging-harness.gitlab-ci.yml, issue #20 item 5): the file parses
as GitLab reads it (the job extends the hidden template), publishes the JUnit report through
`artifacts:reports:junit` (also when the job fails), and its script, run as a runner runs it (the
lines in one POSIX shell with `set -e`, the job's variables in the environment, in the project
folder), installs the harness (the wheel, through IMAGING_HARNESS_PACKAGE) and writes that report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from harness.server.embedded import running
from tests.install.conftest import clean_env, run
from tests.shared import ROOT

pytestmark = pytest.mark.slow

TEMPLATE = ROOT / "ci" / "gitlab" / "imaging-harness.gitlab-ci.yml"
SECRET = "s3cr3t-gitlab-token-1234"


def job(name: str = "imaging-harness") -> dict:
    """The job with `extends` resolved as GitLab does (a deep merge of hashes, the job's keys last)."""
    doc = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))

    def merge(a, b):
        return {**a, **{k: merge(a[k], v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
                        for k, v in b.items()}}
    spec = doc[name]
    base = job(spec["extends"]) if "extends" in spec else {}
    return merge(base, {k: v for k, v in spec.items() if k != "extends"})


def run_job(project: Path, **variables) -> tuple[int, str]:
    spec = job()
    env = clean_env(CI="true", GITLAB_CI="true", CI_PROJECT_DIR=str(project),
                    **{k: str(v) for k, v in spec["variables"].items()})
    env.update({k: str(v) for k, v in variables.items()})
    done = run(["sh", "-e", "-c", "\n".join(spec.get("before_script", []) + spec["script"])], cwd=project, env=env)
    return done.returncode, done.stdout + done.stderr


def test_the_template_publishes_the_junit_report_always():
    spec = job()
    assert spec["stage"] == "test"
    assert spec["artifacts"]["when"] == "always"
    assert spec["artifacts"]["reports"]["junit"] == "imaging-harness-reports/junit.xml"


def test_the_job_script_runs_and_writes_the_junit_report(wheel, tmp_path):
    junit = tmp_path / job()["artifacts"]["reports"]["junit"]
    with running(faults=("ignore-include",)) as base:
        code, log = run_job(tmp_path, IMAGING_HARNESS_PACKAGE=wheel, IMAGING_HARNESS_SERVER=base,
                            IMAGING_HARNESS_SUITES="search,crud", FHIR_TOKEN=SECRET)
    assert code == 1, log[-3000:]  # the job fails; the report is published all the same
    root = ET.parse(junit).getroot()
    assert {s.get("name") for s in root.iter("testsuite")} == {"search", "crud"}
    failed = {tc.get("name") for tc in root.iter("testcase") if tc.find("failure") is not None}
    assert failed == {"search.imagingstudy.include-subject", "search.imagingstudy.revinclude-selection"}
    assert SECRET not in junit.read_text(encoding="utf-8") + log

    code, log = run_job(tmp_path, IMAGING_HARNESS_PACKAGE=wheel, IMAGING_HARNESS_SUITES="capabilities")
    assert code == 0, log[-3000:]
    root = ET.parse(junit).getroot()
    assert {s.get("name") for s in root.iter("testsuite")} == {"capabilities"}
    assert (tmp_path / "imaging-harness-reports" / "summary.md").read_text(encoding="utf-8").startswith(
        "## imaging-harness: passed")
