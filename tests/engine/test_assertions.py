"""Each assertion kind, passing and failing, over responses from a real loopback server."""

from __future__ import annotations

import pytest

from harness.engine import assertions as A
from harness.engine.http import Client, ClientConfig
from harness.engine.model import Assertion
from harness.pipeline.validator import validate_value

from .loopback import serve

STUDY = {"resourceType": "ImagingStudy", "id": "s1", "status": "available",
         "subject": {"reference": "Patient/p1"}}
BAD_STUDY = {"resourceType": "ImagingStudy", "id": "s2", "status": "nonsense",
             "subject": {"reference": "Patient/p1"}}
BUNDLE = {"resourceType": "Bundle", "type": "searchset", "total": 1,
          "entry": [{"fullUrl": "http://x/ImagingStudy/s1", "resource": STUDY, "search": {"mode": "match"}},
                    {"fullUrl": "http://x/Patient/p1", "resource": {"resourceType": "Patient", "id": "p1"},
                     "search": {"mode": "include"}}]}
OO = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid"}]}


@pytest.fixture(scope="module")
def responses():
    routes = {"/study": (200, {"ETag": 'W/"1"'}, STUDY), "/bad": (200, {}, BAD_STUDY),
              "/bundle": (200, {}, BUNDLE), "/oo": (422, {}, OO)}
    with serve(routes) as srv:
        c = Client(ClientConfig(srv.base))
        yield {k: c.request("GET", k) for k in ("study", "bad", "bundle", "oo")}


CTX = A.Context("r5", {"s1": "ImagingStudy/s1", "p1": "Patient/p1", "other": "ImagingStudy/zz"},
                lambda r, s, res=None, full=None: validate_value(r, s, "r5", resolver=res, full_url=full))

CASES = [  # kind, value, response, passes
    ("status", 200, "study", True), ("status", [201, 204], "study", False),
    ("header", {"name": "ETag", "matches": '^W/"'}, "study", True), ("header", {"name": "ETag"}, "bundle", False),
    ("header", {"name": "Location", "present": False}, "study", True), ("header", {"name": "ETag", "matches": "^x"}, "study", False),
    ("resourceType", "ImagingStudy", "study", True), ("resourceType", "Bundle", "study", False),
    ("bundleContains", ["s1", "p1"], "bundle", True), ("bundleContains", ["other"], "bundle", False),
    ("bundleNotContains", ["other"], "bundle", True), ("bundleNotContains", ["s1"], "bundle", False),
    ("bundleTotal", 1, "bundle", True), ("bundleTotal", 2, "bundle", False),
    ("matchCount", 1, "bundle", True), ("matchCount", 2, "bundle", False),
    ("fhirpath", {"expr": "status", "equals": "available"}, "study", True),
    ("fhirpath", {"expr": "status", "equals": "cancelled"}, "study", False),
    ("fhirpath", {"expr": "subject.reference", "exists": True}, "study", True),
    ("fhirpath", {"expr": "series", "exists": True}, "study", False),
    ("fhirpath", {"expr": "series", "empty": True}, "study", True),
    ("fhirpath", {"expr": "status", "empty": True}, "study", False),
    ("valid", True, "study", True), ("valid", True, "bad", False),
    ("outcome", {"severity": "error"}, "oo", True), ("outcome", {"severity": "error"}, "study", False),
]


@pytest.mark.parametrize("kind,value,which,passes", CASES, ids=[f"{c[0]}-{'pass' if c[3] else 'fail'}-{i}" for i, c in enumerate(CASES)])
def test_assertion(responses, kind, value, which, passes):
    resp = responses[which]
    out = A.check(Assertion(kind, value), resp, resp.json(), CTX)
    assert out.passed is passes, out.message


def test_single_series_pass_and_fail():
    study = {"resourceType": "ImagingStudy", "id": "st", "identifier": [{"system": "urn:dicom:uid", "value": "urn:oid:1.2.3"}],
             "series": [{"uid": "1.2.3.1", "instance": [{"uid": "1.2.3.1.1"}, {"uid": "1.2.3.1.2"}]},
                        {"uid": "1.2.3.2", "instance": [{"uid": "1.2.3.2.1"}]}]}
    good = {"resourceType": "ImagingSelection", "id": "g", "studyUid": "1.2.3", "seriesUid": "1.2.3.1",
            "derivedFrom": [{"reference": "ImagingStudy/st"}], "instance": [{"uid": "1.2.3.1.1"}, {"uid": "1.2.3.1.2"}]}
    bad = dict(good, id="b", instance=[{"uid": "1.2.3.1.1"}, {"uid": "1.2.3.2.1"}])
    from harness.imaging import Index

    ctx = A.Context("r5", {}, None, server_resolver=lambda: Index.of("the server", [study]))
    assert A.check(Assertion("singleSeries", True), None, good, ctx).passed, \
        A.check(Assertion("singleSeries", True), None, good, ctx).message
    out = A.check(Assertion("singleSeries", True), None, bad, ctx)
    assert not out.passed and "imaging.single-series" in out.message and "1.2.3.2.1" in out.message


def test_fhirpath_that_does_not_parse_is_a_setup_error(responses):
    with pytest.raises(A.AssertionSetupError):
        A.check(Assertion("fhirpath", {"expr": "(((", "exists": True}), responses["study"],
                responses["study"].json(), CTX)


def test_fhirpath_compiled_once():
    A.compile_fhirpath("id.exists()", "r5")
    n = len(A._COMPILED)
    A.compile_fhirpath("id.exists()", "r5")
    assert len(A._COMPILED) == n


def test_fail_on_warning():
    warned = dict(STUDY, id="s3", extension=[{"url": "urn:example:not-defined", "valueString": "x"}])
    validate = CTX.validate
    on_error = A.Context("r5", {}, validate)
    on_warning = A.Context("r5", {}, validate, fail_on="warning")
    assert A.check(Assertion("valid", True), None, warned, on_error).passed
    out = A.check(Assertion("valid", True), None, warned, on_warning)
    assert not out.passed and "extension.unknown" in out.message


def test_match_count_and_order_count_this_runs_matches_with_or_without_search_mode():
    """#21.2 / #21.4: an entry without search.mode (0..1) is a match unless it is of another type than the
    one searched (then it is known to be included); resources from outside the run are not counted, and
    may sit anywhere in a sorted result."""
    ours = [dict(STUDY, id=i) for i in ("a", "b")]
    foreign = dict(STUDY, id="someone-elses")
    bundle = {"resourceType": "Bundle", "type": "searchset",
              "entry": [{"resource": ours[0]}, {"resource": foreign}, {"resource": ours[1]},
                        {"resource": {"resourceType": "Patient", "id": "p1"}}]}
    with serve({"/ImagingStudy": (200, {}, bundle)}) as srv:
        resp = Client(ClientConfig(srv.base)).request("GET", "ImagingStudy")
    ctx = A.Context("r5", {"a": "ImagingStudy/a", "b": "ImagingStudy/b", "p1": "Patient/p1"}, None)
    assert A.check(Assertion("matchCount", 2), resp, bundle, ctx).passed
    out = A.check(Assertion("matchCount", 3), resp, bundle, ctx)
    assert not out.passed and "1 more from outside this run not counted" in out.message
    assert A.check(Assertion("matchOrder", ["a", "b"]), resp, bundle, ctx).passed
    assert not A.check(Assertion("matchOrder", ["b", "a"]), resp, bundle, ctx).passed


def test_validity_and_single_series_in_a_search_judge_only_this_runs_resources():
    """#21.4: an invalid resource from outside the run (a server that ignores _tag returns it) is not
    this run's to judge; the same resource as ours fails."""
    foreign = dict(BAD_STUDY, id="someone-elses")
    bundle = {"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "self", "url": "http://x/ImagingStudy"}],
              "entry": [{"fullUrl": "http://x/ImagingStudy/s1", "resource": STUDY, "search": {"mode": "match"}},
                        {"fullUrl": "http://x/ImagingStudy/someone-elses", "resource": foreign,
                         "search": {"mode": "match"}}]}
    validate = lambda r, s, res=None, full=None: validate_value(r, s, "r5", resolver=res, full_url=full)  # noqa: E731
    ctx = A.Context("r5", {"s1": "ImagingStudy/s1"}, validate)
    out = A.check(Assertion("valid", True), None, bundle, ctx)
    assert out.passed and "1 from outside this run not checked" in out.message
    ctx_ours = A.Context("r5", {"s1": "ImagingStudy/s1", "x": "ImagingStudy/someone-elses"}, validate)
    assert not A.check(Assertion("valid", True), None, bundle, ctx_ours).passed
