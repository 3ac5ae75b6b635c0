"""Walking dotted element paths through parsed JSON, yielding FHIRPath-style locations.

Every imaging rule runs on resources that may also be structurally invalid, so nothing here assumes
a shape: a path step into a non-object yields nothing, array elements are visited with their index.
"""

from __future__ import annotations

from typing import Any, Iterator


def walk(node: Any, path: str, loc: str) -> Iterator[tuple[str, Any]]:
    """(location, value) for every value at the dotted path below node (arrays walked)."""
    yield from _walk(node, path.split(".") if path else [], loc)


def _walk(node: Any, parts: list[str], loc: str) -> Iterator[tuple[str, Any]]:
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
                yield from _walk(item, rest, f"{loc}.{head}[{i}]")
    elif value is not None:
        yield from _walk(value, rest, f"{loc}.{head}")


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
