"""The shortcuts of the imaging rules give what the long way gives.

* a check's quick 'fine' verdict (rules.check(..., fine=...)) is True only when the check itself
  reports nothing: on every fixture and official-example-like resource of the repository, in
  every version whose table knows its type, and on many mutations of them (docs/shortcuts.md lists
  each verdict with its measured gain);
* paths.walk / values and the per-resource memo (Subject.walk / items / values) equal the recursive
  walk they replaced, in the same order;
* all_valid and uids_to_check agree with uid_problem / encoded one UID at a time.
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Any, Iterator

from hypothesis import HealthCheck, given, settings, strategies as st

from harness.definitions import versions
from harness.imaging import geometry, paths, rules, uids  # importing the package registers every check
from harness.imaging.context import Index, NoResolver
from harness.imaging.uids import UID_MAX, all_valid, encoded, uid_problem, uids_to_check
from tests.shared import ROOT, resources

VERSIONS = versions.names()  # every version of the version table
TYPES = {t for v in VERSIONS for t in rules.table(v)}


def _corpus() -> list[tuple[dict, Index]]:
    out = []
    for path in sorted((ROOT / "fixtures").rglob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
        except ValueError:
            continue
        index = Index.of(path.name, [doc] if isinstance(doc, dict) else [])
        out += [(r, index) for r in resources(doc, TYPES)]
    return out


CORPUS = _corpus()


def _subject(resource: dict, version: str, resolver) -> rules.Subject:
    return rules.Subject(resource, resource["resourceType"], version, rules.table(version)[resource["resourceType"]],
                         resolver, None)


def assert_verdicts_hold(resource: dict, resolver=None) -> int:
    """For every version knowing the type: each fine verdict that holds means the check reports
    nothing (and does not raise). Returns how many verdicts held, to see the shortcut taken."""
    held = 0
    for version in VERSIONS:
        spec = rules.table(version).get(resource.get("resourceType"))
        if spec is None:
            continue
        for check, fine, kinds in rules.GUARDED:
            if spec["kind"] in kinds or "any" in kinds:
                if fine(_subject(resource, version, resolver or NoResolver())):
                    held += 1
                    assert list(check(_subject(resource, version, resolver or NoResolver()))) == [], \
                        (check.__name__, version)
    return held


def test_corpus_is_large_enough():
    assert len(CORPUS) > 100
    assert {c.__name__ for c, _, _ in rules.GUARDED} >= {"uid_syntax", "study_levels"}


def test_fine_verdicts_hold_on_every_fixture():
    held = sum(assert_verdicts_hold(r, index) for r, index in CORPUS)
    assert held > 100


# --- mutations ------------------------------------------------------------------------------------

ODD = [None, 0, -1, 1, 2.5, True, "", "x", "1.02.3", "1..2", ".1", "1.", "0", "00", "1.0.0", "a" * 70, "1." * 40,
       "urn:oid:1.2.3", "urn:oid:1.02", "urn:oid:5", [], {}, [None], {"coding": [{"code": "urn:oid:1.2.00"}]},
       {"code": "1.2", "system": "urn:ietf:rfc:3986"}, {"code": "urn:oid:1.2.3"}, {"code": 5}, {"uid": "1.2.3"},
       [{"uid": "1.2.3"}, {"uid": "1.2.3"}], {"system": "urn:dicom:uid", "value": "urn:oid:1.2.3"}, "MR", "KO"]
BASES = [r for r, _ in CORPUS]


def _all_paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _all_paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _all_paths(v, prefix + (i,))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fine_verdicts_hold_on_mutations(data):
    base = data.draw(st.sampled_from(BASES))
    mutated = copy.deepcopy(base)
    for _ in range(data.draw(st.integers(1, 3))):
        where = [p for p in _all_paths(mutated) if p and p[0] != "resourceType"]
        if not where:
            break
        path = data.draw(st.sampled_from(where))
        parent = mutated
        for step in path[:-1]:
            parent = parent[step]
        action = data.draw(st.sampled_from(["replace", "replace", "delete", "copy", "twin", "count"]))
        counts = [p for p in where if isinstance(p[-1], str) and p[-1].startswith("number")]
        if action == "count" and counts:  # a count below what is listed
            path = data.draw(st.sampled_from(counts))
            parent = mutated
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = data.draw(st.integers(0, 2))
        elif action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = copy.deepcopy(data.draw(st.sampled_from(ODD)))
        elif action == "twin" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))  # a repeated series / instance / UID
        else:
            other = data.draw(st.sampled_from(where))
            source = mutated
            try:
                for step in other:
                    source = source[step]
            except (KeyError, IndexError, TypeError):
                continue
            parent[path[-1]] = copy.deepcopy(source)
    assert_verdicts_hold(mutated)


def _at(node, path):
    for step in path:
        node = node[step]
    return node


def test_fine_verdicts_hold_on_low_counts_and_repeated_items():
    """Every count set below what is listed, every list item repeated, on every resource."""
    for base in BASES:
        every = [p for p in _all_paths(base) if p]
        for path in every:
            if isinstance(path[-1], str) and path[-1].startswith("number"):
                for low in (0, 1):
                    mutated = copy.deepcopy(base)
                    _at(mutated, path[:-1])[path[-1]] = low
                    assert_verdicts_hold(mutated)
            if isinstance(path[-1], int):
                mutated = copy.deepcopy(base)
                _at(mutated, path[:-1]).append(copy.deepcopy(_at(mutated, path)))
                assert_verdicts_hold(mutated)


# --- walking ---------------------------------------------------------------------------------------

def reference_walk(node: Any, path: str, loc: str) -> list[tuple[str, Any]]:
    """The recursive generator walk the list-building one replaced."""
    def rec(node, parts, loc):
        if not parts:
            yield loc, node
            return
        if not isinstance(node, dict):
            return
        head, rest = parts[0], parts[1:]
        value = node.get(head)
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is not None:
                    yield from rec(item, rest, f"{loc}.{head}[{i}]")
        elif value is not None:
            yield from rec(value, rest, f"{loc}.{head}")
    return list(rec(node, path.split(".") if path else [], loc))


KEYS = st.sampled_from(["a", "b", "c"])
TREES = st.recursive(st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["x", "1.2"])),
                     lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(KEYS, kids, max_size=3)),
                     max_leaves=30)
PATHS = st.lists(KEYS, max_size=4).map(".".join)


@settings(max_examples=500, deadline=None)
@given(TREES, PATHS)
def test_walk_equals_the_recursive_walk(tree, path):
    want = reference_walk(tree, path, "R")
    assert paths.walk(tree, path, "R") == want
    assert paths.values(tree, path) == [v for _, v in want]
    assert paths.items(tree, path, "R") == [(l, v) for l, v in want if isinstance(v, dict)]
    if isinstance(tree, dict):
        s = rules.Subject(tree, "R", "r5", {}, NoResolver(), None)
        for p in (path, path.rpartition(".")[0], path):  # twice: the second answer comes from the memo
            ref = reference_walk(tree, p, "R")
            assert s.walk(p) == ref and s.values(p) == [v for _, v in ref]
            assert s.items(p) == [(l, v) for l, v in ref if isinstance(v, dict)]


# --- UIDs ------------------------------------------------------------------------------------------

UID_TEXT = st.lists(st.sampled_from(["0", "1", "2", "3", "9", ".", ".", "00", "10", "39", "40", "x", " ", "٣"]),
                    max_size=40).map("".join)
ITEMS = st.lists(UID_TEXT | st.sampled_from([None, 5, "1.2.3", "2.25." + "9" * 39, "1" * 65]), max_size=6)


class _Str(str):
    """A str subclass (no parser makes one; all_valid still judges it as a str)."""


@settings(max_examples=1000, deadline=None)
@given(ITEMS, st.booleans())
def test_all_valid_agrees_with_uid_problem(items, subclass):
    """Both ways of all_valid (the compiled build's character scan, the source's joined pass)."""
    if subclass:
        items = [_Str(u) if isinstance(u, str) else u for u in items]
    one_by_one = all(isinstance(u, str) and len(u) <= UID_MAX and uid_problem(u) is None for u in items)
    assert all_valid(items) == uids._all_valid_scan(items) == uids._all_valid_joined(items) == one_by_one


CODINGS = st.fixed_dictionaries({}, optional={"code": UID_TEXT | st.sampled_from(["urn:oid:1.2", "urn:oid:01", 7]),
                                              "system": st.sampled_from(["urn:ietf:rfc:3986", "urn:dicom:uid", "x"]),
                                              "coding": st.just([{"code": "1.2"}])})


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from(["id", "oid", "coding"]), st.lists(UID_TEXT.map(lambda t: "urn:oid:" + t) | UID_TEXT | CODINGS
                                                          | st.sampled_from([None, 3, []]), max_size=5))
def test_uids_to_check_vouches_only_for_clean_values(form, found):
    wanted = uids_to_check(found, form)
    if wanted is not None and all_valid(wanted):
        assert all(problem is None for v in found for _, problem in encoded(v, form))


def test_memo_answers_odd_paths_as_the_walk_does():
    """Empty steps (a leading dot, two dots in a row) and the empty path, from the memo too."""
    tree = {"a": {"b": 1, "": [2]}, "": {"a": 3}}
    s = rules.Subject(tree, "R", "r5", {}, NoResolver(), None)
    for path in (".a", "a..b", "", "a.", ".a.b", "a.b", "a"):
        for _ in range(2):
            assert s.values(path) == paths.values(tree, path) == [v for _, v in reference_walk(tree, path, "R")]
            assert s.walk(path) == paths.walk(tree, path, "R") == reference_walk(tree, path, "R")


# --- regions ---------------------------------------------------------------------------------------

GRAPHIC = ["point", "multipoint", "polyline", "interpolated", "circle", "ellipse", "ellipsoid", "polygon",
           "POLYGON", "unknown"]


def _region_mutations(region: dict, coords_key: str, type_key: str) -> Iterator[dict]:
    coords = region.get(coords_key)
    for code in GRAPHIC:
        yield {**region, type_key: code}
    if isinstance(coords, list) and coords:
        yield {**region, coords_key: coords[:-1]}
        yield {**region, coords_key: coords + coords[:1]}
        yield {**region, coords_key: coords + coords[:3]}
        yield {**region, coords_key: coords[:3] * 4}
        for i in range(len(coords)):
            for odd in (-1, -0.5, -0.0, True, "1", None, 10 ** 30, float("inf")):
                yield {**region, coords_key: coords[:i] + [odd] + coords[i + 1:]}
        yield {**region, coords_key: coords[-3:] + coords[3:-3] + coords[:3]}  # first and last swapped
    yield {k: v for k, v in region.items() if k != coords_key}


def test_regions_verdict_holds_on_every_kind_of_broken_region():
    """Each region of each selection of the fixtures and the corpus, broken in every way the check
    looks at (graphic type, point count, closure, sign, non-numbers, missing frame of reference)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from corpus import r5_imaging
    sels = [r for r in BASES + r5_imaging(30) if r.get("resourceType") == "ImagingSelection"]
    taken = refused = 0
    for sel in sels:
        for version in VERSIONS:
            spec = rules.table(version).get("ImagingSelection")
            for region_spec in (spec or {}).get("regions", ()):
                parent, _, leaf = region_spec["path"].rpartition(".")
                holders = paths.values(sel, parent) if parent else [sel]
                for h, holder in enumerate(holders):
                    regions = holder.get(leaf) if isinstance(holder, dict) else None
                    for i, region in enumerate(regions if isinstance(regions, list) else ()):
                        if not isinstance(region, dict):
                            continue
                        for mutated_region in _region_mutations(region, region_spec["coords"], region_spec["type"]):
                            for without_for in (False, True):
                                mutated = copy.deepcopy(sel)
                                target = paths.values(mutated, parent)[h] if parent else mutated
                                target[leaf][i] = mutated_region
                                if without_for:
                                    mutated.pop("frameOfReferenceUid", None)
                                s = _subject(mutated, version, NoResolver())
                                fine = geometry._regions_fine(s)
                                reported = list(geometry.regions(_subject(mutated, version, NoResolver())))
                                if fine:
                                    taken += 1
                                    assert reported == [], (version, mutated_region)
                                else:
                                    refused += 1
    assert taken > 100 and refused > 100, (taken, refused)
