"""JUnit XML (junit-xml): one testsuite per suite, failure = conformance violation, error = transport
or harness problem, skipped = capability or version not claimed; the redacted transcript in system-out."""

from __future__ import annotations

from pathlib import PurePath

from junit_xml import TestCase, TestSuite, to_xml_report_string

from harness import __version__
from harness.engine.events import ERROR, FAILED, SKIPPED, RunResult


def _case(r) -> TestCase:
    c = r.case
    head = (f"requirement: {c.requirement.cite()}\ncase file: {c.file}:{c.line}\n"
            f"versions: {', '.join(c.versions)}  tags: {', '.join(c.tags)}\n")
    tc = TestCase(c.id, classname=f"{c.suite}.{PurePath(c.file).stem}", elapsed_sec=r.duration_ms / 1000.0,
                  stdout=head + "\n" + r.transcript(), file=c.file, line=c.line)
    if r.status == FAILED:
        tc.add_failure_info(message=r.message, output=f"{r.message}\nrequirement: {c.requirement.cite()}",
                            failure_type="conformance")
    elif r.status == ERROR:
        tc.add_error_info(message=r.message, output=r.message, error_type="harness")
    elif r.status == SKIPPED:
        tc.add_skipped_info(message=r.message)
    return tc


def render(run: RunResult) -> str:
    props = {"server": run.server, "fhirVersion": run.fhir_version or "", "runId": run.run_id,
             "harnessVersion": __version__, "software": run.software or "", "runStatus": run.status}
    suites = []
    for name in run.suites:
        cases = [_case(r) for r in run.cases if r.case.suite == name]
        suites.append(TestSuite(name, cases, timestamp=run.started, properties=props, id=name))
    if run.status != "completed" or not suites:
        tc = TestCase("run", classname="run.run")
        if run.status != "completed":
            tc.add_error_info(message=run.message, error_type="run")
        suites.append(TestSuite("run", [tc], timestamp=run.started, properties=props))
    return to_xml_report_string(suites, prettyprint=True, encoding="utf-8")
