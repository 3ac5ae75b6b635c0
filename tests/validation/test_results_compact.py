"""Results as NDJSON workers send them (issue #23): Issue and Result pickle as their fields and come
back equal; an invariant's violation at one location is one shared, immutable Issue, and the
memo of them is bounded whatever the input."""

from __future__ import annotations

import pickle

from harness.validation import invariants
from harness.validation.issues import ERROR, INFORMATION, WARNING, Issue, Result
from harness.validation.validator import validate_value, validator


def test_results_pickle_as_their_fields_and_come_back_equal():
    results = [Result("f#line[1]", None, None, "r5", ()),
               Result("f#line[2]", "ImagingStudy", "a", "r4", (Issue(ERROR, "r", "$", "m", "q"),
                                                              Issue(WARNING, "r2", "X.y", "é\n", "q2"),
                                                              Issue(INFORMATION, "r3", "X", "", "")))]
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(results, protocol))
        assert back == results and [r.valid for r in back] == [True, False]
        assert all(type(i) is Issue for r in back for i in r.issues)


def test_the_dom6_warning_is_one_object_for_every_resource_without_narrative():
    a = validate_value({"resourceType": "Patient", "id": "a"}, "a", "r5")
    b = validate_value({"resourceType": "Patient", "id": "b"}, "b", "r5")
    dom6 = [i for i in a.issues if i.rule == "invariant.dom-6"]
    assert dom6 and dom6[0] in b.issues and any(i is dom6[0] for i in b.issues)


def test_shared_violations_are_bounded(monkeypatch):
    from types import SimpleNamespace

    from harness.validation.compiler import Constraint

    monkeypatch.setattr(invariants, "MAX_SHARED_VIOLATIONS", 3)
    passes = validator("r5").invariants
    monkeypatch.setattr(passes, "_violations", {})
    c = Constraint("dom-6", "warning", "A resource should have narrative", "text.`div`.exists()", "DomainResource",
                   "Patient")
    made = [passes._violation(c, SimpleNamespace(location=f"Bundle.entry[{n}].resource")) for n in range(10)]
    assert len(passes._violations) == 3  # a hostile input's many locations cost no memory
    again = [passes._violation(c, SimpleNamespace(location=f"Bundle.entry[{n}].resource")) for n in range(10)]
    assert again == made and all(a is b for a, b in zip(again[:3], made[:3]))
