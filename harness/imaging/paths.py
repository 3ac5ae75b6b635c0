# imaging-harness: compiled
"""Walking dotted element paths through parsed JSON, yielding FHIRPath-style locations.

Every imaging rule runs on resources that may also be structurally invalid, so nothing here assumes
a shape: a path step into a non-object yields nothing, array elements are visited with their index.

Speed: ``walk`` runs for every rule on every resource, so it builds its answer level by level in
plain lists instead of recursing through nested generators, and splits each path string once
(``_steps``). Every value it returns lies at the same depth (one per path step), so collecting them
level by level, each level in order, gives exactly the depth-first order of the recursive walk.
"""

from __future__ import annotations

from typing import Any

_STEPS: dict[str, tuple[str, ...]] = {}


def _steps(path: str) -> tuple[str, ...]:
    """The steps of a dotted path, split once per distinct path (paths come from tables.json)."""
    steps = _STEPS.get(path)
    if steps is None:
        steps = tuple(path.split(".")) if path else ()
        if len(_STEPS) < 4096:  # a bound, should a caller ever walk paths built from data
            _STEPS[path] = steps
    return steps


def walk(node: Any, path: str, loc: str) -> list[tuple[str, Any]]:
    """(location, value) for every value at the dotted path below node (arrays walked, None items
    skipped), in document order."""
    level = [(loc, node)]
    for head in _steps(path):
        level = step_with_locations(level, head)
        if not level:
            break
    return level


def step(nodes: list[Any], head: str) -> list[Any]:
    """values one step further: values(node, f"{path}.{head}") from values(node, path).

    Written as plain loops with the exact-dict case first: paths.pxd gives the compiled build C
    types for them (from source, a plain loop is faster than comprehensions for a few nodes and
    about 8% slower for a study's instances)."""
    got: list[Any] = []
    flat = True
    for n in nodes:
        if type(n) is dict:
            d = n
            v = d.get(head)
        elif isinstance(n, dict):
            v = n.get(head)
        else:
            continue
        if v is not None:
            if isinstance(v, list):
                flat = False
            got.append(v)
    if flat:
        return got  # no array among them: the loop below would give the same list
    found: list[Any] = []
    for value in got:  # each node's value, in order: an array's items (not null) or the value
        if isinstance(value, list):
            for item in value:
                if item is not None:
                    found.append(item)
        else:
            found.append(value)
    return found


def step_with_locations(level: list[tuple[str, Any]], head: str) -> list[tuple[str, Any]]:
    """walk one step further: walk(node, f"{path}.{head}", loc) from walk(node, path, loc)."""
    found: list[tuple[str, Any]] = []
    for where, n in level:
        if type(n) is dict:
            d = n
            value = d.get(head)
        elif isinstance(n, dict):
            value = n.get(head)
        else:
            continue
        if isinstance(value, list):
            i = 0
            for item in value:
                if item is not None:
                    found.append((f"{where}.{head}[{i}]", item))
                i += 1
        elif value is not None:
            found.append((f"{where}.{head}", value))
    return found


_SPLITS: dict[str, tuple[str, str]] = {}


def memo_values(memo: dict, node: Any, path: str) -> list[Any]:
    """values(node, path), each path answered once into memo (path -> answer) from its parent
    path's answer (a path without a dot: values itself). The answers are shared: not to be changed."""
    hit = memo.get(path)
    if hit is None:
        split = _SPLITS.get(path)
        if split is None:
            parent, _, last = path.rpartition(".")
            split = (parent, last)
            if len(_SPLITS) < 4096:  # a bound, as for _STEPS
                _SPLITS[path] = split
        parent, last = split
        hit = memo[path] = step(memo_values(memo, node, parent), last) if parent else values(node, path)
    return hit


def values(node: Any, path: str) -> list[Any]:
    """The values walk finds, in the same order, without their locations: for checks that first
    look whether anything is wrong and build locations only when something is."""
    level = [node]
    for head in _steps(path):
        level = step(level, head)
        if not level:
            break
    return level


def items(node: Any, name: str, loc: str) -> list[tuple[str, dict]]:
    """The object children of node[name] (one or many) with their locations."""
    return [(l, v) for l, v in walk(node, name, loc) if isinstance(v, dict)]


def text(node: Any, name: str) -> str | None:
    v = node.get(name) if isinstance(node, dict) else None
    return v if isinstance(v, str) else None


def codes(value: Any) -> list[tuple[str | None, str]]:
    """(system, code) of a Coding, a CodeableConcept, or a list of either."""
    out: list[tuple[str | None, str]] = []
    for v in value if isinstance(value, list) else [value]:
        if not isinstance(v, dict):
            continue
        codings = v.get("coding") if "coding" in v else [v]
        for c in codings if isinstance(codings, list) else []:
            if isinstance(c, dict) and isinstance(c.get("code"), str):
                s = c.get("system")
                out.append((s if isinstance(s, str) else None, c["code"]))
    return out
