"""Property-based tests (hypothesis): the validator never raises, whatever JSON it is given, and a
mutation of a valid imaging resource never makes its untouched valid base look invalid.

Runs the public entry point (validate_value) and the imaging rules directly; the example counts
are kept small so the suite stays fast (a few seconds)."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings, strategies as st

from harness import imaging
from harness.definitions import versions
from harness.imaging.context import Index
from harness.validation.issues import Result
from harness.validation.jsonparse import parse_bytes
from harness.validation.validator import validate_value
from tests.shared import VALID, load_json

BASES = [(v, load_json(VALID / v / name)) for v, name in [
    ("r5", "imagingselection-mr-prostate-roi.json"), ("r5", "imagingstudy-ct-chest.json"),
    ("r4", "imagingstudy-ct-abdomen.json"), ("r6-ballot2", "imagingselection-ct-lung-nodule.json"),
    ("r5-snapshot1", "imagingselection-ct-liver-lesion.json"), ("stu3", "imagingmanifest-mr-brain.json"),
    ("stu3-ballot", "imagingexcerpt-ct-chest.json")]]

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=5)), max_leaves=25)
keys = st.sampled_from(["resourceType", "id", "status", "studyUid", "seriesUid", "instance", "series", "uid",
                        "subject", "derivedFrom", "identifier", "contained", "text", "meta", "extension",
                        "imageRegion2D", "imageRegion3D", "coordinate", "subset", "frameList", "_status"])

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(json_values, st.sampled_from(versions.names()))  # every version of the version table
def test_any_json_value_gives_a_result(value, version):
    r = validate_value(value, "prop", version)
    assert isinstance(r, Result)


@SETTINGS
@given(st.binary(max_size=200))
def test_any_bytes_parse_or_report(data):
    parsed = parse_bytes(data)
    if parsed.error is not None:
        assert str(parsed.error)  # a message for the report, never an exception
    else:
        assert isinstance(validate_value(parsed.value, "prop", "r5", parsed.duplicates), Result)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


@SETTINGS
@given(st.data())
def test_mutations_of_valid_resources_never_raise(data):
    version, base = data.draw(st.sampled_from(BASES))
    mutated = copy.deepcopy(base)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in _paths(mutated) if p]
        path = data.draw(st.sampled_from(paths))
        parent = mutated
        for step in path[:-1]:
            parent = parent[step]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = data.draw(json_values)
        elif isinstance(parent, dict):
            parent[data.draw(keys)] = data.draw(json_values)
    result = validate_value(mutated, "prop", version)
    assert isinstance(result, Result)
    imaging.run(mutated, version, Index.of("prop", [mutated, base]))
    # the untouched base is still judged valid: no state leaks between validations
    assert validate_value(base, "base", version).valid
