"""A FHIR TestReport (R4 or R5, following the server's version): one test per case, an operation
action per step and an assert action per assertion; skipped cases carry the reason."""

from __future__ import annotations

import json
from html import escape

from harness import __version__, definitions
from harness.definitions import versions
from harness.engine.capabilities import version_name
from harness.engine.events import ERROR, FAILED, PASSED, SKIPPED, RunResult

_OP = {PASSED: "pass", FAILED: "fail", ERROR: "error", SKIPPED: "skip"}


def _md(text: str) -> str:
    return (text or "-").strip()[:2000] or "-"


def _test(r) -> dict:
    c = r.case
    actions = []
    if r.status == SKIPPED or (r.status == ERROR and not r.steps):
        actions.append({"operation": {"result": _OP[r.status], "message": _md(r.message)}})
    for s in r.steps:
        ex = s.exchanges[0] if s.exchanges else None
        msg = f"{'cleanup ' if s.cleanup else ''}{s.name}" + (f": {ex.method} {ex.url} → {ex.status}" if ex else "")
        if s.error:
            msg += f" ({s.error})"
        actions.append({"operation": {"result": "error" if s.error else "pass", "message": _md(msg)}})
        for o in s.outcomes:
            actions.append({"assert": {"result": "pass" if o.passed else "fail",
                                       "message": _md((f"{o.description}: " if o.description else "")
                                                      + f"{o.kind}: {o.message}")}})
    return {"name": c.id,
            "description": f"{c.title}. Requirement: {c.requirement.cite()}",
            "action": actions}


def _script_is_canonical(version: str) -> bool:
    """TestReport.testScript is a canonical (R5) or a Reference (R4, R4B): the version's definitions say."""
    testscript = next(e for e in definitions.load(version).type("TestReport")["elements"]
                      if e["path"] == "TestReport.testScript")
    return any(t["code"] == "canonical" for t in testscript["types"])


def build(run: RunResult) -> dict:
    version = version_name(run.fhir_version) or versions.default()
    failed = any(r.status in (FAILED, ERROR) for r in run.cases) or run.status != "completed"
    script = "urn:imaging-harness:testscript:default"
    counts = run.counts
    report = {
        "resourceType": "TestReport",
        "id": f"run-{run.run_id}",
        "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>imaging-harness run '
                 f'{escape(run.run_id)} against {escape(run.server)}: {counts["passed"]} passed, {counts["failed"]} failed, '
                 f'{counts["error"]} errors, {counts["skipped"]} skipped</p></div>'},
        "identifier": {"system": "urn:imaging-harness:run", "value": run.run_id},
        "name": f"imaging-harness run {run.run_id}",
        "status": "completed" if run.status == "completed" else "stopped",
        "result": "fail" if failed else "pass",
        "tester": f"imaging-harness {__version__}",
        "issued": run.finished or run.started,
        "participant": [{"type": "test-engine", "uri": "urn:imaging-harness", "display": f"imaging-harness {__version__}"},
                        {"type": "server", "uri": run.server}],
    }
    if _script_is_canonical(version):
        report["testScript"] = script
    else:
        report["testScript"] = {"identifier": {"system": "urn:imaging-harness:testscript", "value": "default"},
                                "display": "imaging-harness default suites"}
    done = [r for r in run.cases if r.status != SKIPPED]
    if done:
        report["score"] = round(100.0 * sum(r.status == PASSED for r in done) / len(done), 2)
    tests = [_test(r) for r in run.cases]
    if run.status != "completed":
        tests.append({"name": "run", "description": "the run itself",
                      "action": [{"operation": {"result": "error", "message": _md(run.message)}}]})
    if tests:
        report["test"] = tests
    return report


def render(run: RunResult) -> str:
    return json.dumps(build(run), indent=2, ensure_ascii=False) + "\n"
