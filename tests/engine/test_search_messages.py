"""What a search failure says (#21.10): the query as sent, a paging gap named as such, and an erratum
pass named in the case's message. `published_clinical_code` is a proxy in front of the reference
server that answers ImagingSelection `code` searches by R5's published (erroneous) expression
ImagingSelection.status, as a server implementing the published definition does."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

from harness.engine.oracle_suite import OracleCheck
from harness.search import Oracle
from tests.proxy import Request, forwarding_proxy


def _published_code(req: Request) -> None:
    """An ImagingSelection search's `code` parameters (any modifier) become `status` ones."""
    path, _, query = req.path.partition("?")
    if path.rstrip("/").endswith("/ImagingSelection"):
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        pairs = [(("status" + k[4:]) if k == "code" or k.startswith("code:") else k, v) for k, v in pairs]
        query = urllib.parse.urlencode(pairs)
        req.path = path + ("?" + query if query else "")


@contextmanager
def published_clinical_code(backend: str) -> Iterator[str]:
    with forwarding_proxy(backend, on_request=_published_code) as proxy:
        yield proxy.base


STUDIES = [{"resourceType": "ImagingStudy", "id": i, "status": "available", "subject": {"reference": "Patient/p"},
            "started": s, "series": [{"uid": "1.2", "modality": {"code": m}}]}
           for i, m, s in (("a", "CT", "2024-01-02T10:00:00Z"), ("b", "MR", "2024-03-04T10:00:00Z"))]


def test_a_failure_shows_the_query_sent():
    oracle = Oracle("r5", STUDIES)
    query = [("modality", "CT"), ("_tag", "urn:imaging-harness:run|r1")]
    check = OracleCheck("ImagingStudy", oracle.expected("ImagingStudy", query), oracle, query)
    ok, msg = check.judge({"resourceType": "Bundle", "entry": [{"resource": STUDIES[1]}]})
    assert not ok
    assert msg.startswith("ImagingStudy?modality=CT&_tag=urn:imaging-harness:run|r1: ")


def test_an_unreachable_page_is_named_and_shows_no_empty_values():
    oracle = Oracle("r5", STUDIES)
    query = [("_count", "1")]
    check = OracleCheck("ImagingStudy", oracle.expected("ImagingStudy", []), oracle, query, {"paging": True})
    ok, msg = check.judge({"resourceType": "Bundle", "entry": [{"resource": STUDIES[0]}]})
    assert not ok
    assert "not reached by following the next links" in msg and "ImagingStudy/b" in msg
    assert "()" not in msg


def test_sort_and_count_failures_show_the_query():
    oracle = Oracle("r5", STUDIES)
    check = OracleCheck("ImagingStudy", oracle.expected("ImagingStudy", []), oracle, [("_summary", "count")],
                        {"count": True})
    ok, msg = check.judge({"resourceType": "Bundle", "total": 3})
    assert not ok and msg.startswith("ImagingStudy?_summary=count: ")


def test_foreign_data_with_the_same_zone_dependent_value_is_allowed():
    """A resource from outside the run whose dateTime has no zone, searched by a zoned value, may match
    depending on the server's zone: it is allowed, as the run's own such resources are."""
    ours = dict(STUDIES[0], started="2024-01-02T10:00:00Z")
    foreign = dict(STUDIES[0], id="someone-elses", started="2024-01-02T10:00:00")
    oracle = Oracle("r5", [ours])
    query = [("started", "2024-01-02T10:00:00Z")]
    check = OracleCheck("ImagingStudy", oracle.expected("ImagingStudy", query), oracle, query)
    ok, msg = check.judge({"resourceType": "Bundle", "entry": [{"resource": ours}, {"resource": foreign}]})
    assert ok, msg


def test_foreign_data_matched_through_a_chain_outside_the_run_is_allowed():
    """A study from outside the run whose patient (also outside the run) has the identifier searched."""
    patient = {"resourceType": "Patient", "id": "p", "identifier": [{"system": "urn:mrn", "value": "1"}]}
    ours = dict(STUDIES[0], subject={"reference": "Patient/p"})
    foreign = dict(STUDIES[0], id="someone-elses", subject={"reference": "Patient/someone-elses-patient"})
    oracle = Oracle("r5", [ours, patient])
    query = [("subject.identifier", "urn:mrn|1")]
    check = OracleCheck("ImagingStudy", oracle.expected("ImagingStudy", query), oracle, query)
    ok, msg = check.judge({"resourceType": "Bundle", "entry": [{"resource": ours}, {"resource": foreign}]})
    assert ok, msg
    # a foreign study whose reference the oracle holds is still judged
    wrong = dict(STUDIES[0], id="wrong", subject={"reference": "Patient/q"})
    oracle = Oracle("r5", [ours, patient, {"resourceType": "Patient", "id": "q"}])
    check = OracleCheck("ImagingStudy", oracle.expected("ImagingStudy", query), oracle, query)
    ok, msg = check.judge({"resourceType": "Bundle", "entry": [{"resource": ours}, {"resource": wrong}]})
    assert not ok and "outside this run that do not match: wrong" in msg


def test_included_entries_without_search_mode_count_as_included():
    patient = {"resourceType": "Patient", "id": "p"}
    oracle = Oracle("r5", STUDIES + [patient])
    query = [("_include", "ImagingStudy:subject")]
    check = OracleCheck("ImagingStudy", oracle.expected("ImagingStudy", []), oracle, query,
                        {"include": "ImagingStudy:subject"})
    ok, msg = check.judge({"resourceType": "Bundle", "entry": [{"resource": STUDIES[0]}, {"resource": STUDIES[1]},
                                                                {"resource": patient}]})
    assert ok, msg


def test_the_generated_paging_case_names_the_unreachable_page():
    from harness.engine.session import RunOptions, execute
    from tests.engine.inprocess import in_process

    with in_process("r5", ("drop-last-page",)) as base:
        result, _ = execute([], RunOptions(server=base, oracle=True, oracle_filter=lambda c: c.id.endswith(".paging")))
    failed = [r for r in result.cases if r.status == "failed"]
    assert len(failed) == 2
    for r in failed:
        assert "?_tag=" in r.message and "&_count=1: " in r.message  # the query as sent
        assert "not reached by following the next links" in r.message and "()" not in r.message
