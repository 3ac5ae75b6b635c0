"""The benchmark corpus (benchmarks/corpus.py) is deterministic and valid: no error from the
validator, the single-series rule resolved against the corpus's own studies. Fast: 60 resources."""

import re
import sys

import orjson

from tests.shared import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

from corpus import r4_studies, r5_imaging  # noqa: E402

from harness.imaging.context import Index  # noqa: E402
from harness.validation.validator import validate_value  # noqa: E402

UID = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*")


def _uids(value):
    if isinstance(value, dict):
        for k, v in value.items():
            if k in ("uid", "studyUid", "seriesUid", "frameOfReferenceUid") and isinstance(v, str):
                yield v
            yield from _uids(v)
    elif isinstance(value, list):
        for v in value:
            yield from _uids(v)


def test_same_seed_same_bytes():
    assert [orjson.dumps(r) for r in r5_imaging(30, seed=3)] == [orjson.dumps(r) for r in r5_imaging(30, seed=3)]
    assert r4_studies(5, seed=3) != r4_studies(5, seed=4)


def test_corpus_has_no_error():
    for version, values in (("r4", r4_studies(30)), ("r5", r5_imaging(30))):
        context = Index.of("corpus", [v for v in values if v["resourceType"] == "ImagingStudy"])
        for v in values:
            result = validate_value(v, v["id"], version, resolver=context)
            errors = [(i.rule, i.location, i.message) for i in result.issues if i.severity == "error"]
            assert not errors, (v["id"], errors)
            assert not [i for i in result.issues if i.rule == "imaging.unresolved"]
            for uid in _uids(v):
                assert UID.fullmatch(uid) and len(uid) <= 64, uid
    assert {v["resourceType"] for v in r5_imaging(30)} == {"ImagingStudy", "ImagingSelection"}
