"""The structural fast path (harness/validation/fastpath.py, codegen.py) gives exactly the walk's
results: the same issues in the same order, the same invariant worklist, the same '#' references.

It is compared with the full walk on every fixture, on thousands of seeded mutations of the valid
fixtures (each mutation is a small structural defect or a legal variation), on the official examples,
and its plain-Python regex and date shortcuts are compared with the originals on generated strings.
"""

from __future__ import annotations

import copy
import json
import math
import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from harness.validation import primitives
from harness.validation.codegen import DECIMAL_INT_LIMIT, NATIVE_PATTERNS, SCANS, decimals_fail
from harness.validation.structure import Walker
from harness.validation.validator import validator
from tests.validation.test_native_invariants import _version_of
from tests.validation.test_official_examples import CASES, _package
from tests.shared import ROOT

FIXTURES = sorted(p for p in (ROOT / "fixtures").rglob("*.json") if p.name != "expectations.json")


def _load(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def _fixture_version(path: Path) -> str:
    parts = path.relative_to(ROOT / "fixtures").parts
    if parts[0] == "datasets":
        return parts[1]
    return _version_of(path)


def _pending(items) -> list:
    return [(p.constraints, id(p.value), p.type_path, p.location, id(p.resource), id(p.root), id(p.node))
            for p in items]


def same(resource: dict, version: str, whole: bool = True) -> bool:
    """Compare fast and full on one resource; True when the fast path certified it. `whole` also
    compares the validator's complete issue lists (invariants and imaging rules included)."""
    v = validator(version)
    walker = Walker(v.compiler, {}, split_bundles=True)
    walker.resource(resource, resource.get("resourceType") or "$", None)
    fast = v.fastpath.run(resource, True)
    if fast is not None:
        assert walker.issues == [], "the fast path passed a resource the walk reports on"
        # the walk's worklist less the elements whose constraints the fast path evaluated in place
        kept = [p for p in walker.pending if not (p.node is not None and not p.node.is_resource
                                                  and isinstance(p.value, dict)
                                                  and v.invariants.element_natives(p.constraints) is not None)]
        assert _pending(fast.pending) == _pending(kept)
        assert fast.local_refs == walker.local_refs
    if not whole:
        return fast is not None
    full = v.fastpath
    try:
        v.fastpath = None
        expected = v.issues(copy.deepcopy(resource))
    finally:
        v.fastpath = full
    assert v.issues(copy.deepcopy(resource)) == expected
    return fast is not None


def test_every_fixture():
    certified = 0
    for path in FIXTURES:
        data = _load(path)
        if isinstance(data, dict) and isinstance(data.get("resourceType"), str):
            certified += same(data, _fixture_version(path))
    assert certified > 25  # the valid fixtures take the fast path


# --- mutations -------------------------------------------------------------------------------------
_VALUES = [None, "", " ", "x\x0b", "2023-02-30", "2024-02-29T25:00:00Z", "#", "#ep", 0, -1, 2**31, 1.5,
           True, [], {}, [None], ["a"], {"id": "only"}, {"extension": []}, "urn:oid:1.2.3", "Patient/p",
           {"reference": "Device/d"}, {"url": "http://example.org/unknown", "valueString": "x"}]


def _paths(node, here=()):
    """Every (container, key) in a JSON tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield node, k
            yield from _paths(v, here + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield node, i
            yield from _paths(v, here + (i,))


def _mutate(resource: dict, rng: random.Random) -> dict:
    r = copy.deepcopy(resource)
    places = list(_paths(r))
    container, key = rng.choice(places)
    op = rng.randrange(8)
    if op == 0 and isinstance(container, dict):
        del container[key]
    elif op == 1:
        container[key] = copy.deepcopy(rng.choice(_VALUES))
    elif op == 2 and isinstance(container, dict):
        container["_" + str(key)] = {"extension": [{"url": "http://example.org/x", "valueBoolean": True}]}
    elif op == 3 and isinstance(container, dict):
        container[rng.choice(["unknownThing", "valueString", "valueBoolean", "fhir_comments", "id"])] = "v"
    elif op == 4:
        value = container[key]
        container[key] = value[0] if isinstance(value, list) and value else [value]
    elif op == 6 and isinstance(container[key], dict):  # the same object, its keys in another order
        items = list(container[key].items())
        rng.shuffle(items)
        container[key] = dict(items)
    elif op == 5 and isinstance(container[key], str):
        container[key] = container[key] + rng.choice(["\x0c", " ", "\t", "Z", "\u00a0", "é"])
    else:
        container[key] = copy.deepcopy(container[key])  # a legal no-op: the same value again
    return r


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_mutations_of_the_valid_fixtures(version: str):
    rng = random.Random(20261123)
    sources = [d for d in (_load(p) for p in sorted((ROOT / "fixtures/valid" / version).glob("*.json"))
                           + sorted((ROOT / "fixtures/datasets" / version).glob("*.json")))
               if isinstance(d, dict)]
    fast = slow = 0
    for _ in range(1500):
        mutated = _mutate(rng.choice(sources), rng)
        if same(mutated, version):
            fast += 1
        else:
            slow += 1
    assert fast > 100 and slow > 500  # both paths exercised


@pytest.mark.parametrize("name,pkg_version,version,prefixes", CASES, ids=[c[2] for c in CASES])
def test_official_examples(name, pkg_version, version, prefixes):
    pkg = _package(name, pkg_version)
    certified = 0
    for f in sorted(pkg.glob("*.json")):
        data = _load(f)
        if isinstance(data, dict) and data.get("resourceType") not in ("StructureDefinition", "Bundle"):
            certified += same(data, version, whole=f.name.startswith(prefixes))
    assert certified > 300


# --- shortcuts -------------------------------------------------------------------------------------
_CHARS = st.sampled_from(list("ab19 \t\r\n\x0b\x0c\x00-:.#Tz\u00a0\u2028é٣"))


@pytest.mark.parametrize("pattern", sorted(NATIVE_PATTERNS))
@settings(max_examples=400, deadline=None)
@given(text=st.text(_CHARS, min_size=1, max_size=12))
def test_native_patterns_equal_the_regex(pattern, text):
    fails = eval(NATIVE_PATTERNS[pattern].format(v="text"))  # the generated code's own expression
    assert fails == (re.compile(pattern, re.ASCII).fullmatch(text) is None)


@pytest.mark.parametrize("pattern", sorted(SCANS))
@settings(max_examples=600, deadline=None)
@given(text=st.text(_CHARS | st.sampled_from(list("AZaz09-.:/_~")), min_size=0, max_size=70))
def test_scans_equal_the_regex(pattern, text):
    """The compiled build's character scans, whichever way this install runs them."""
    assert SCANS[pattern](text) == (re.compile(pattern, re.ASCII).fullmatch(text) is None)


def test_scans_take_the_lengths_at_the_edges():
    for pattern, fails in SCANS.items():
        rx = re.compile(pattern, re.ASCII)
        for text in ("", "a" * 63, "a" * 64, "a" * 65, "1." * 32, "-" * 64 + "x"):
            assert fails(text) == (rx.fullmatch(text) is None), (pattern, text)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.integers() | st.floats() | st.booleans() | st.none() | st.text(max_size=2)
                | st.sampled_from([float("inf"), float("-inf"), float("nan"), -0.0, 2 ** 70, 10 ** 17, -10 ** 17,
                                   10 ** 17 - 1, 1 - 10 ** 17, 10 ** 18]), max_size=8))
def test_decimals_fail_unless_each_is_an_int_or_a_finite_float(values):
    """An int of 18 digits or more is left to the walk (its text may fail the version's decimal regex)."""
    assert decimals_fail(values) == (not all((type(v) is int and abs(v) < DECIMAL_INT_LIMIT)
                                             or (type(v) is float and math.isfinite(v)) for v in values))


def _calendar_date_reference(value: str):
    m = primitives._DATE_PARTS.match(value)
    if not m or not m.group(3):
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    import calendar
    if 1 <= mo <= 12 and d > calendar.monthrange(y, mo)[1]:
        return "bad"
    return None


@settings(max_examples=600, deadline=None)
@given(text=st.from_regex(r"\A[0-9٣]{4}(-[0-9٣ ]{1,2}(-[0-9٣ ]{1,2}.{0,3})?)?\Z"))
def test_calendar_date_shortcut_is_exact(text):
    assert (primitives._calendar_date(text) is None) == (_calendar_date_reference(text) is None)


def _time_of_day_reference(value: str):
    t = value.split("T", 1)[1] if "T" in value else value
    m = primitives._TIME_PARTS.match(t)
    if m and (int(m.group(1)) > 23 or int(m.group(2)) > 59 or int(m.group(3)) > 60):
        return "bad"
    if "T" in value:
        tz = re.search(r"([+-])(\d{2}):(\d{2})$", t)
        if tz and (int(tz.group(2)) > 14 or int(tz.group(3)) > 59):
            return "bad"
    return None


@settings(max_examples=800, deadline=None)
@given(text=st.from_regex(r"\A(2024-01-0[0-9]T)?[0-9٣]{2}:[0-9٣]{2}:[0-9٣]{2}(\.[0-9]{1,3})?"
                          r"(Z|[+-][0-9٣]{2}:[0-9٣]{2}|\n)?\Z") | st.text(_CHARS, max_size=14))
def test_time_of_day_shortcut_is_exact(text):
    assert (primitives._time_of_day(text) is None) == (_time_of_day_reference(text) is None)


def _reference_target_reference(defs, child, item):
    """structure.reference_target_problem as written before its "Type/id" shortcut."""
    if "Resource" in child.targets:
        return None
    rtype = item.get("type") if isinstance(item.get("type"), str) else None
    ref = item.get("reference")
    named = None
    if isinstance(ref, str) and not ref.startswith(("#", "urn:")):
        parts = ref.split("?")[0].rstrip("/").split("/")
        if "_history" in parts:
            parts = parts[: parts.index("_history")]
        if len(parts) >= 2 and parts[-2][:1].isupper():
            named = parts[-2]
    for t in (rtype, named):
        if t and t not in child.targets and defs.kind(t) == "resource":
            return "problem"
    return None


@settings(max_examples=600, deadline=None)
@given(ref=st.text(st.sampled_from(list("PatientDevice/_history?#urn:x1 ")), max_size=24)
       | st.builds("/".join, st.lists(st.sampled_from(["Patient", "Device", "Group", "_history", "p", "",
                                                        "http:", "x?y=1", "urn:a"]), max_size=5)),
       rtype=st.sampled_from([None, "Patient", "Device", 5]))
def test_reference_target_shortcut_is_exact(ref, rtype):
    from harness.validation.structure import reference_target_problem
    v = validator("r5")
    child = v.compiler._path_node("ImagingStudy", "ImagingStudy").children["subject"]
    item = {"reference": ref} if rtype is None else {"reference": ref, "type": rtype}
    assert (reference_target_problem(v.defs, child, item) is None) == (
        _reference_target_reference(v.defs, child, item) is None)


def test_invalid_resources_are_not_kept_alive():
    """A fast-path exception must not keep the resources it gave up on (a shared exception object
    gathered their frames: about 19 KiB per invalid resource in a long-running service)."""
    import gc
    import weakref
    from harness.validation.validator import validate_value
    class Resource(dict):  # a dict that can be weakly referenced
        pass
    base = _load(ROOT / "fixtures/valid/r5/imagingselection-mr-prostate-roi.json")
    refs = []
    for _ in range(5):
        bad = Resource(copy.deepcopy(base))
        bad["status"] = 5
        validate_value(bad, "x", "r5")
        refs.append(weakref.ref(bad))
        del bad
    gc.collect()
    assert [r() for r in refs] == [None] * 5


def test_generated_functions_do_not_share_a_name():
    """Each generated function is defined in a namespace of its own: two compiled under one name
    into the same globals stay two (the object shapes are compiled while other threads validate)."""
    from harness.validation.codegen import Emitter
    from harness.validation.fastpath import Slow
    em = Emitter(Slow)
    one = em.compile("shape", ["def shape():", "    return 1"])
    two = em.compile("shape", ["def shape():", "    return 2"])
    assert (one(), two()) == (1, 2) and "shape" not in em.env


def test_threads_compiling_object_shapes_agree_with_one_thread():
    """Many threads meeting new object shapes at once get the same answers as one thread does."""
    import sys
    import threading
    from harness.validation.validator import Validator
    rng = random.Random(7)
    base = [d for d in (_load(p) for p in sorted((ROOT / "fixtures/valid/r5").glob("*.json"))) if isinstance(d, dict)]
    resources = []
    for _ in range(400):
        r = copy.deepcopy(rng.choice(base))
        for container, key in list(_paths(r)):
            if isinstance(container[key], dict) and rng.random() < 0.5:
                items = list(container[key].items())
                rng.shuffle(items)
                container[key] = dict(items)
        resources.append(r)
    serial = Validator("r5")
    expected = [_pending(st.pending) if (st := serial.fastpath.run(r, True)) else None for r in resources]
    shared = Validator("r5")
    got: list = [None] * len(resources)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        def work(k: int) -> None:
            for i in range(k, len(resources), 8):
                st_ = shared.fastpath.run(resources[i], True)
                got[i] = _pending(st_.pending) if st_ else None
        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switch)
    # the pending lists hold ids of this run's nodes: compare their shape and which were certified
    assert [None if e is None else [p[2:4] for p in e] for e in expected] == \
           [None if g is None else [p[2:4] for p in g] for g in got]
    assert sum(e is not None for e in expected) > 100
