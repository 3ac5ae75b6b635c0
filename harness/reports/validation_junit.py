"""`validate --format junit`: JUnit XML (junit-xml), one testcase per resource; its errors are the
failure, with every issue in the failure text."""

from __future__ import annotations

from junit_xml import TestCase, TestSuite, to_xml_report_string

from harness.validation.issues import ERROR, Result


def render_results(results: list[Result]) -> str:
    cases = []
    for r in results:
        name = f"{r.source} ({r.resource_type or 'unknown'}/{r.id or '-'})"
        tc = TestCase(name, classname=f"validate.{r.fhir_version}", file=r.source.split("#", 1)[0])
        errors = [i for i in r.issues if i.severity == ERROR]
        if errors:
            tc.add_failure_info(message=f"{len(errors)} error(s): {errors[0].rule} at {errors[0].location}",
                                output="\n".join(f"{i.severity} {i.rule} {i.location}: {i.message} [{i.requirement}]"
                                                 for i in r.issues))
        elif r.issues:
            tc.stdout = "\n".join(f"{i.severity} {i.rule} {i.location}: {i.message}" for i in r.issues)
        cases.append(tc)
    return to_xml_report_string([TestSuite("imaging-harness validate", cases)])
