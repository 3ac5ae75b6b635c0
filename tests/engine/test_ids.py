"""The id gate (harness.engine.ids) and every path through it: the tracker, the path substitution, the
created capture and the HTTP client's last-resort refusal of dot-segments (issues #19.4, #24.2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.engine import ids
from harness.engine.assertions import AssertionSetupError
from harness.engine.http import Client, ClientConfig, TransportError, UnsafeUrl
from harness.engine.runner import Captured, UnusableValue, substitute_path
from harness.engine.tracker import Tracker, track

BAD = ["..", ".", "a/b", "%2F", "x" * 65, "", "a b", "a?b", "a#b", "é", "a\\b", "a\x1bb"]
GOOD = ["a", "A-1.2", "x" * 64, "0", "2.25.1", "e3b0c442-98fc-1c14-9afb-f4c8996fb924"]


@pytest.mark.parametrize("value", BAD, ids=repr)
def test_unusable_ids_are_refused_with_the_reason(value):
    problem = ids.id_problem(value)
    assert problem and "not a FHIR id" in problem


@pytest.mark.parametrize("value", GOOD)
def test_fhir_ids_are_accepted(value):
    assert ids.id_problem(value) is None


@given(st.text(max_size=70))
def test_accepted_ids_are_exactly_the_grammar_less_dot_segments(value):
    import re
    expected = bool(re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", value, re.ASCII)) and value not in (".", "..")
    assert (ids.id_problem(value) is None) == expected


def test_non_strings_and_long_values_are_shown_bounded():
    assert "not a string" in ids.id_problem(5)
    assert len(ids.id_problem("y" * 10_000)) < 200


LOC = "http://h/fhir/ImagingStudy/abc/_history/2"


def test_created_reads_the_body_first_and_location_otherwise():
    body = {"resourceType": "ImagingStudy", "id": "abc", "meta": {"versionId": "2"}}
    c = ids.created("ImagingStudy", LOC, body)
    assert (c.ref, c.version, c.source, c.problem) == ("ImagingStudy/abc", "2", "body and Location", None)
    c = ids.created("ImagingStudy", LOC, None)
    assert (c.ref, c.version, c.source) == ("ImagingStudy/abc", "2", "Location")
    c = ids.created("ImagingStudy", "ImagingStudy/abc", None)  # relative, no version
    assert (c.ref, c.version) == ("ImagingStudy/abc", None)
    c = ids.created("ImagingStudy", None, body)
    assert (c.ref, c.source) == ("ImagingStudy/abc", "body")
    # an OperationOutcome is not the created resource: Location is used
    c = ids.created("ImagingStudy", LOC, {"resourceType": "OperationOutcome", "id": "zzz"})
    assert c.ref == "ImagingStudy/abc"


def test_created_says_where_it_looked_when_there_is_no_id():
    c = ids.created("ImagingStudy", None, None)
    assert c.ref is None and "no id" in c.problem and "body" in c.problem and "Location header (missing)" in c.problem


@pytest.mark.parametrize("loc,body_id,words", [
    ("http://h/fhir/ImagingStudy/other/_history/1", "abc", "disagree"),
    ("http://h/fhir/ImagingStudy/../_history/1", "..", "dot-segment"),
    ("http://h/fhir/ImagingStudy/a/b/_history/1", "a/b", "body's id 'a/b' is not a FHIR id"),
    ("http://h/fhir/ImagingStudy/%2F/_history/1", "%2F", "not a FHIR id"),
    ("http://h/fhir/Patient/abc/_history/1", None, "does not have the form [base]/ImagingStudy/[id]"),
    (f"http://h/fhir/ImagingStudy/{'x' * 65}", "x" * 65, "longer than 64"),
])
def test_created_refuses_what_cannot_be_trusted(loc, body_id, words):
    body = {"resourceType": "ImagingStudy", "id": body_id} if body_id is not None else None
    c = ids.created("ImagingStudy", loc, body)
    assert c.ref is None and words in c.problem, c.problem
    assert c.describe().startswith("ImagingStudy ") and "not deleted" in c.describe()


def test_created_by_put_must_be_the_id_the_request_chose():
    assert ids.created("ImagingStudy", None, None, sent_id="mine").ref == "ImagingStudy/mine"
    c = ids.created("ImagingStudy", None, {"resourceType": "ImagingStudy", "id": "theirs"}, sent_id="mine")
    assert c.ref is None and "not the id 'mine'" in c.problem


def test_version_disagreement_is_a_version_problem_only():
    c = ids.created("ImagingStudy", LOC, {"resourceType": "ImagingStudy", "id": "abc", "meta": {"versionId": "1"}})
    assert c.ref == "ImagingStudy/abc" and "disagree" in c.version_problem


def test_tracker_lists_only_usable_refs_and_says_what_is_left():
    t = Tracker()
    t.add("ImagingStudy/ok")
    t.add("ImagingStudy/..")  # whoever calls, the list holds no unusable ref
    t.add("ImagingStudy/a/b")
    t.record(ids.created("ImagingStudy", "http://h/ImagingStudy/../_history/1", None))
    t.gone("ImagingStudy/ok")
    assert t.alive() == [] and t.created == ["ImagingStudy/ok"]
    assert t.counts() == (4, 1)
    assert len(t.left()) == 3 and all("not a" in x or "not deleted" in x for x in t.left())


def test_track_books_transaction_entries_through_the_gate():
    t = Tracker()
    body = {"resourceType": "Bundle", "type": "transaction-response", "entry": [
        {"response": {"status": "201 Created", "location": "Patient/p1/_history/1"}},
        {"response": {"status": "201 Created", "location": "Patient/../_history/1"}},
        {"response": {"status": "201 Created", "location": "../../x"}},
        {"response": {"status": "200 OK", "location": "Patient/p2/_history/2"}},
        "not an entry"]}
    track("POST", 200, None, body, t, "")
    assert t.alive() == ["Patient/p1"] and len(t.unusable) == 2


def test_track_update_as_create_books_the_requested_id():
    t = Tracker()
    track("PUT", 201, None, None, t, "ImagingStudy/new-1")
    track("PUT", 200, None, None, t, "ImagingStudy/old")
    assert t.alive() == ["ImagingStudy/new-1"]


def test_substitute_path_puts_only_ids_in_urls():
    values = {"id": Captured("abc"), "n": 3, "fixture.s.ref": "ImagingStudy/x", "evil": Captured(".."),
              "mine": "a/b"}
    assert substitute_path("ImagingStudy/${id}/_history/${n}", values) == "ImagingStudy/abc/_history/3"
    assert substitute_path("${fixture.s.ref}", values) == "ImagingStudy/x"
    with pytest.raises(UnusableValue, match="captured from the server"):
        substitute_path("ImagingStudy/${evil}", values)
    with pytest.raises(AssertionSetupError, match="request path"):
        substitute_path("ImagingStudy/${mine}", values)


@pytest.mark.parametrize("path", ["ImagingStudy/..", "ImagingStudy/.", "ImagingStudy/%2e%2E", "a/../b",
                                  "http://h/fhir/ImagingStudy/../x"])
def test_the_client_never_sends_a_dot_segment(path):
    client = Client(ClientConfig("http://h/fhir"))
    with pytest.raises(UnsafeUrl):
        client.url(path)
    with pytest.raises(TransportError):  # what every caller already handles
        client.request("DELETE", path)


def test_the_client_keeps_ordinary_paths():
    client = Client(ClientConfig("http://h/fhir"))
    assert client.url("ImagingStudy/a.b..c", {"x": ".."}) == "http://h/fhir/ImagingStudy/a.b..c?x=.."


def test_builtins_chosen_by_the_user_are_not_held_to_the_id_grammar():
    assert substitute_path("${base}/ImagingStudy/${id}", {"base": "http://h/fhir", "id": Captured("a")}) \
        == "http://h/fhir/ImagingStudy/a"


def test_update_as_create_is_skipped_unless_claimed():
    from harness.engine.capabilities import Capabilities
    from harness.engine.loader import load_cases
    from tests.engine.loopback import capability

    case, = load_cases(case_ids=["crud.imagingstudy.update-create"])
    cs = capability(resources={"ImagingStudy": (["read", "update", "delete"], [])})
    reason = Capabilities.parse(cs).unmet(case.requires)
    assert reason and "updateCreate" in reason
    cs["rest"][0]["resource"][0]["updateCreate"] = True
    assert Capabilities.parse(cs).unmet(case.requires) is None


def test_a_created_capture_on_a_step_that_creates_nothing_is_refused_before_any_request(tmp_path):
    from harness.engine.loader import CaseErrors, load_cases

    d = tmp_path / "s"
    d.mkdir()
    (d / "c.yaml").write_text(
        "id: t.created-on-read\ntitle: t\nrequirement: {version: FHIR R5 5.0.0, section: http.html#read, text: t}\n"
        "versions: [r5]\nsteps:\n  - name: read\n    request: {method: GET, path: metadata}\n"
        "    capture:\n      id: {created: id}\n", encoding="utf-8")
    with pytest.raises(CaseErrors) as e:
        load_cases(tmp_path)
    assert any("only POST [type] or PUT [type]/[id] creates" in str(x) for x in e.value.errors)
