"""The GitHub Action (action.yml, issue #20 item 4), run as a runner runs a composite action: each
step's script with bash (`bash --noprofile --norc -eo pipefail`), its `env` evaluated from the
inputs, `github.action_path`, `runner.temp` and earlier steps' outputs, and the `GITHUB_*` files
(GITHUB_OUTPUT per step, GITHUB_STEP_SUMMARY) set. The harness is installed from the wheel (the
`package` input), as a user pinning a release would."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from harness.engine.loader import load_cases
from harness.server.embedded import running
from tests.install.conftest import clean_env, run
from tests.shared import ROOT

pytestmark = pytest.mark.slow

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
SECRET = "s3cr3t-action-token-0815"


def _evaluate(text: str, context: dict) -> str:
    def one(m):
        path = m.group(1).split(".")
        value = context
        for part in path:
            if not isinstance(value, dict) or part not in value:
                raise AssertionError(f"action.yml uses an expression this runner does not know: {m.group(0)}")
            value = value[part]
        return str(value)
    return EXPR.sub(one, text)


def run_action(workspace: Path, temp: Path, **inputs) -> tuple[int, dict, str, str]:
    """(exit code of the last step run, the action's outputs, the step summary, the whole log)."""
    given = {name: str(inputs.get(name.replace("-", "_"), spec.get("default", "")))
             for name, spec in ACTION["inputs"].items()}
    context = {"inputs": given, "github": {"action_path": str(ROOT)}, "runner": {"temp": str(temp)}, "steps": {}}
    summary = workspace / "step_summary.md"
    summary.touch()
    log, code = "", 0
    for i, step in enumerate(ACTION["runs"]["steps"]):
        assert step["shell"] == "bash" and "uses" not in step
        assert "${{" not in step["run"], "inputs reach the script through env only"
        output = workspace / f"output-{i}"
        output.touch()
        env = clean_env(GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary), GITHUB_ACTIONS="true",
                        GITHUB_WORKSPACE=str(workspace), GITHUB_ACTION_PATH=str(ROOT), RUNNER_TEMP=str(temp))
        env.update({k: _evaluate(str(v), context) for k, v in step.get("env", {}).items()})
        script = workspace / f"step-{i}.sh"
        script.write_text(step["run"], encoding="utf-8")
        done = run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script], cwd=workspace, env=env)
        log += done.stdout + done.stderr
        outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if "=" in line)
        context["steps"][step["id"]] = {"outputs": outputs}
        code = done.returncode
        if code:
            break
    declared = {name: _evaluate(spec["value"], context) for name, spec in ACTION["outputs"].items()}
    return code, declared, summary.read_text(encoding="utf-8"), log


@pytest.fixture(scope="module")
def temp(tmp_path_factory) -> Path:
    """RUNNER_TEMP, shared by the runs of this module (as by the steps of one job)."""
    return tmp_path_factory.mktemp("runner_temp")


def test_the_action_declares_its_inputs_and_outputs():
    assert ACTION["runs"]["using"] == "composite"
    assert {"server-url", "fhir-version", "suites", "token", "fail-on"} <= set(ACTION["inputs"])
    assert {"junit", "summary", "exit-code"} <= set(ACTION["outputs"])


def test_the_action_against_the_embedded_and_a_faulty_server(wheel, temp, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    code, out, summary, log = run_action(work, temp, package=wheel, suites="crud, structure")
    assert code == 0, log[-3000:]
    junit = work / out["junit"]
    suites = {s.get("name") for s in ET.parse(junit).getroot().iter("testsuite")}
    assert suites == {"crud", "structure"} and out["exit-code"] == "0"
    crud = sum(c.suite == "crud" for c in load_cases(ROOT / "testcases"))
    assert summary.startswith("## imaging-harness: passed") and f"| crud | {crud} | 0 | 0 | 0 |" in summary

    with running(faults=("ignore-include",)) as base:
        code, out, summary2, log = run_action(work, temp, package=wheel, server_url=base, suites="search",
                                              token=SECRET, reports_dir="second")
    assert code == 1 and out["exit-code"] == "1", log[-3000:]
    assert out["junit"] == "second/junit.xml" and (work / "second" / "junit.xml").is_file()
    assert summary2.startswith(summary)  # appended to the step summary
    assert "search.imagingstudy.include-subject" in summary2 and "requirement: FHIR R5" in summary2
    every = log + summary2 + "".join(p.read_text(encoding="utf-8", errors="replace")
                                     for p in (work / "second").iterdir())
    assert SECRET not in every


def test_a_usage_error_still_writes_the_step_summary(wheel, temp, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    code, out, summary, log = run_action(work, temp, package=wheel, fail_on="sometimes")
    assert code == 2 and out["exit-code"] == "2"
    assert "**imaging-harness did not run** (exit code 2)" in summary
