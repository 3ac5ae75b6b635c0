# imaging-harness: compiled
"""Region geometry (DICOM PS3.3 graphic types) and frame / segment / ROI numbering."""

from __future__ import annotations

import re
from typing import Iterator

from harness.imaging.paths import walk
from harness.imaging.rules import Subject, check, geometry, in_binding
from harness.imaging.words import cited
from harness.validation.catalog import rule
from harness.validation.issues import ERROR, WARNING, Issue

_POSITIVE = re.compile(r"[1-9][0-9]*", re.ASCII)
_NUMBER = re.compile(r"[0-9]+", re.ASCII)
RT_STRUCTURE_SET = "1.2.840.10008.5.1.4.1.1.481.3"  # ROI numbers need not start at 1
_ZERO = 0.0  # _ZERO.__gt__(v) is v < 0 for an int or a float (a float compares with any int exactly)
_NUMBER_TYPES = frozenset({int, float})  # exactly these types: bool and other subclasses take the long way
_FRAME_WORDS = "DICOM PS3.3 Table 10-3 Referenced Frame Number: 'The first frame shall be denoted as frame number 1.'"


def _dims(region: dict, spec: dict) -> int | None:
    if "dims" in spec:
        return spec["dims"]
    code = region.get(spec["dimsFrom"])
    return spec["dimsMap"].get(code.lower()) if isinstance(code, str) else None


def _coplanar(points: list[tuple[float, ...]]) -> bool:
    """True when every point lies on the plane through the first three non-collinear points."""
    p0 = points[0]
    span = max(max(abs(a - b) for a, b in zip(p, p0)) for p in points) or 1.0
    vecs = [tuple(a - b for a, b in zip(p, p0)) for p in points[1:]]
    normal = None
    for i, u in enumerate(vecs):
        for v in vecs[i + 1:]:
            n = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
            if sum(c * c for c in n) ** 0.5 > 1e-9 * span * span:
                normal = n
                break
        if normal:
            break
    if normal is None:
        return True  # all points on one line
    length = sum(c * c for c in normal) ** 0.5
    return all(abs(sum(a * b for a, b in zip(v, normal))) / length <= 1e-6 * span + 1e-6 for v in vecs)


def _regions_fine(s: Subject) -> bool:
    """regions reports nothing: every region with a known dimension, a code and an array of
    coordinates has numbers only (exactly int or float: anything else goes to the check), whole
    pairs / triplets, a frame of reference when 3D, none below 0 where that is required, and
    (a bound code) the point count, dimension, closure and flatness of its graphic type.

    Written as plain loops: geometry.pxd gives the compiled build C types for them.

    Measured (docs/shortcuts.md: `python benchmarks/bench_shortcuts.py --n 2000`, two runs, the
    compiled build, CPU time per resource): without it the imaging rules take 4.7–5.2 µs more on
    large R5 (3.3–3.5% of the whole validation's 142–147 µs) and 0.9–1.7 µs on small R5
    (1.8–3.4%), the corpora with regions."""
    has_for = s.resource.get(s.spec["selection"]["frameOfReferenceUid"]) is not None
    version = s.version
    for spec in s.spec.get("regions", ()):
        bound_at, type_key, coords_key = f"{s.rtype}.{spec['path']}.{spec['type']}", spec["type"], spec["coords"]
        non_negative, fixed_dims = bool(spec.get("nonNegative")), spec.get("dims")
        for region in s.values(spec["path"]):
            if type(region) is not dict:
                if isinstance(region, dict):
                    return False  # a dict subclass (no parser makes one): the check decides
                continue
            r = region
            code, coords = r.get(type_key), r.get(coords_key)
            dims = fixed_dims if fixed_dims is not None else _dims(r, spec)
            if dims is None or type(code) is not str or type(coords) is not list:
                if dims is None or not isinstance(code, str) or not isinstance(coords, list):
                    continue  # the check skips it too
                return False
            d = dims
            if d == 3 and not has_for:
                return False
            c = coords
            negative = False
            for x in c:
                if type(x) is float:
                    f = x
                    if f < 0.0:
                        negative = True
                elif type(x) is int:
                    if x < 0:
                        negative = True
                else:
                    return False  # a bool, a string, ...: the check decides
            n = len(c)
            if n % d or (negative and non_negative):
                return False
            rule = _shape_rule(version, bound_at, code)
            if rule is not None:
                shape_dims, lo, hi, closed, coplanar = rule
                points = n // d
                if (shape_dims is not None and d not in shape_dims) or points < lo or (hi is not None and points > hi):
                    return False
                if closed:
                    for i in range(d):
                        if c[i] != c[n - d + i]:
                            return False
                if coplanar and d == 3 and not _coplanar(list(zip(*[iter(c)] * 3))):
                    return False
    return True


_SHAPE_RULES: dict[tuple[str, str, str], tuple | None] = {}
_UNKNOWN = object()


def _shape_rule(version: str, bound_at: str, code: str) -> tuple | None:
    """What _shape tests for a region code, as (dims or None, min, max or None, closed, coplanar);
    None for a code outside the binding (the binding check reports it) or without a graphic type."""
    key = (version, bound_at, code)
    rule = _SHAPE_RULES.get(key, _UNKNOWN)
    if rule is not _UNKNOWN:
        return rule
    shape = geometry().get(code.lower()) if in_binding(version, bound_at, code) else None
    rule = None if shape is None else (tuple(shape["dims"]) if "dims" in shape else None, shape["min"],
                                       shape.get("max"), bool(shape.get("closed")), bool(shape.get("coplanar")))
    if len(_SHAPE_RULES) < 4096:  # a bound: codes come from the data
        _SHAPE_RULES[key] = rule
    return rule


@check("selection", fine=_regions_fine)
@rule("imaging.region-geometry", ERROR, "Region coordinates do not fit the region type",
      "DICOM PS3.3 C.18.6 (2D) / C.18.9 (3D) graphic types, as worded by the ImagingSelection graphic "
      "type code systems: coordinates are whole (x,y) pairs or (x,y,z) triplets; point 1, circle 2, "
      "ellipse 4, ellipsoid 6, polyline/interpolated ≥2, multipoint ≥1, polygon closed with ≥4.")
@rule("imaging.region-frame-of-reference", ERROR, "3D region without a frame of reference",
      f"{cited('regions.words', lambda region: region.get('dims') == 3 or 'dimsFrom' in region)} A 3D region's "
      "coordinates need the selection's frameOfReferenceUid.")
@rule("imaging.region-coplanar", WARNING, "3D polygon points are not coplanar",
      f"ImagingSelection 3D graphic type polygon (R5 5.0.0, DICOM PS3.3 C.18.9): '{geometry()['polygon']['words']}' "
      "A warning: coordinates are decimals and planarity is checked within a tolerance.")
def regions(s: Subject) -> Iterator[Issue]:
    shapes = geometry()
    has_for = s.resource.get(s.spec["selection"]["frameOfReferenceUid"]) is not None
    for spec in s.spec.get("regions", ()):
        bound_at, words, bound = f"{s.rtype}.{spec['path']}.{spec['type']}", spec["words"], {}
        # the regions, in the order of s.items(path): locations are built only for an issue
        for n, region in enumerate([v for v in s.values(spec["path"]) if isinstance(v, dict)]):
            dims, code = _dims(region, spec), region.get(spec["type"])
            coords = region.get(spec["coords"])
            if dims is None or not isinstance(code, str) or not isinstance(coords, list):
                continue  # bindings and cardinality are reported by the structural validator
            if dims == 3 and not has_for:
                yield s.issue("imaging.region-frame-of-reference", s.items(spec["path"])[n][0],
                              f"a 3D {code} region without {s.spec['selection']['frameOfReferenceUid']}: its "
                              "(x,y,z) coordinates have no coordinate system", words)
            if _NUMBER_TYPES.issuperset(map(type, coords)):
                values = coords  # the usual case: only ints and floats (the test below, at C speed)
            else:
                values = [c for c in coords if isinstance(c, (int, float)) and not isinstance(c, bool)]
                if len(values) != len(coords):
                    continue
            if code not in bound:  # in_binding once per code in this resource
                bound[code] = in_binding(s.version, bound_at, code)
            shape = shapes.get(code.lower()) if bound[code] else None
            if len(values) % dims:
                yield s.issue("imaging.region-geometry", _where(s, spec, n),
                              f"{len(values)} values are not whole {'(x,y) pairs' if dims == 2 else '(x,y,z) triplets'}",
                              words)
                continue
            if spec.get("nonNegative") and any(map(_ZERO.__gt__, values)):  # a value below 0
                yield s.issue("imaging.region-geometry", _where(s, spec, n),
                              f"2D image coordinates start at 0\\0 (top left); {min(values)} is outside the image", words)
            if shape is not None:
                points = list(zip(*[iter(values)] * dims))  # consecutive (x,y) / (x,y,z); len(values) % dims == 0
                problems = _shape(code, dims, points, shape)
                for rule, message in problems:
                    yield s.issue(rule, _where(s, spec, n), message, _shape_words(code, shape))


def _where(s: Subject, spec: dict, n: int) -> str:
    """Where the coordinates of the n-th region at spec's path are."""
    return f"{s.items(spec['path'])[n][0]}.{spec['coords']}"


def _shape(code: str, dims: int, points: list, shape: dict) -> list[tuple[str, str]]:
    """(rule, message) for each way the points do not make this graphic type."""
    if "dims" in shape and dims not in shape["dims"]:
        return [("imaging.region-geometry", f"a {code} is defined in {shape['dims'][0]}D, not {dims}D")]
    lo, hi = shape["min"], shape.get("max")
    if len(points) < lo or (hi is not None and len(points) > hi):
        want = f"exactly {lo}" if hi == lo else f"at least {lo}"
        return [("imaging.region-geometry", f"a {code} has {want} point(s); {len(points)} given")]
    problems = []
    if shape.get("closed") and points[0] != points[-1]:
        problems.append(("imaging.region-geometry",
                         f"a {code} is closed: the first point {points[0]} and the last {points[-1]} differ"))
    if shape.get("coplanar") and dims == 3 and not _coplanar(points):
        problems.append(("imaging.region-coplanar", f"the {len(points)} points of this {code} are not coplanar"))
    return problems


def _shape_words(code: str, shape: dict) -> str:
    return f"{code}: '{shape['words']}' (DICOM PS3.3 C.18.6 / C.18.9)"


def _frames_fine(s: Subject) -> bool:
    """frame_numbers reports nothing: no frame number below 1, no subset item that is digits with
    a leading zero (matching [0-9]+ but not [1-9][0-9]*), whatever the SOP Class; a list of frame
    numbers is left to the check.

    Measured (docs/shortcuts.md): alone within the noise of `benchmarks/bench_shortcuts.py`; with the
    other three selection and modality verdicts, 7–9% of the whole validation of the bundled
    fixtures (`benchmarks/bench_validate.py`, compiled build)."""
    for spec in s.spec.get("frames", ()):
        kind, found = spec["kind"], s.values(spec["path"])
        if kind == "list":
            if any(isinstance(v, str) for v in found):
                return False
        elif kind == "number":
            if any(isinstance(v, int) and not isinstance(v, bool) and v < 1 for v in found):
                return False
        elif any(isinstance(v, str) and v[:1] == "0" and v.isascii() and v.isdigit() for v in found):
            return False
    return True


@check("selection", "manifest", fine=_frames_fine)
@rule("imaging.frame-number", ERROR, "Frame, segment or ROI list malformed, duplicated, or numbered from 0",
      f"{cited('frames.words')}; {_FRAME_WORDS} Applied to R5/R6 instance.subset and 1.4.0 frameNumbers.")
def frame_numbers(s: Subject) -> Iterator[Issue]:
    for spec in s.spec.get("frames", ()):
        words = spec.get("words", _FRAME_WORDS)
        kind, what = spec["kind"], spec["what"]
        if kind == "list":
            for loc, value in s.walk(spec["path"]):
                if isinstance(value, str):
                    yield from _number_list(s, loc, value, what, words)
        elif kind == "number":
            for loc, value in s.walk(spec["path"]):
                if isinstance(value, int) and not isinstance(value, bool) and value < 1:
                    yield s.issue("imaging.frame-number", loc, f"frame number {value}: frames are numbered from 1", words)
        else:  # subset: an item that is a number is a frame / segment number, numbered from 1
            parent, _, leaf = spec["path"].rpartition(".")
            for iloc, inst in s.items(parent):
                if _sop_class(inst) == RT_STRUCTURE_SET:
                    continue
                for loc, value in walk(inst, leaf, iloc):
                    if isinstance(value, str) and _NUMBER.fullmatch(value) and not _POSITIVE.fullmatch(value):
                        yield s.issue("imaging.frame-number", loc,
                                      f"subset {value!r}: frame and segment numbers start at 1 without leading zeros",
                                      _FRAME_WORDS)


def _number_list(s: Subject, loc: str, value: str, what: str, words: str) -> Iterator[Issue]:
    seen: set[int] = set()
    for n, part in enumerate(value.split(","), start=1):
        item = part.strip()
        if not _POSITIVE.fullmatch(item):
            yield s.issue("imaging.frame-number", loc,
                          f"item {n} ({part!r}) of {value!r} is not a {what} number (a positive integer)", words)
            return
        if int(item) in seen:
            yield s.issue("imaging.frame-number", loc, f"{what} number {item} is listed twice in {value!r}", words)
            return
        seen.add(int(item))


def _sop_class(inst: dict) -> str | None:
    sc = inst.get("sopClass")
    if isinstance(sc, dict):
        sc = sc.get("code")
    return sc[8:] if isinstance(sc, str) and sc.startswith("urn:oid:") else sc if isinstance(sc, str) else None
