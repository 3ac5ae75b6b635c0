"""`_summary` (true | text | data | false) and `_elements`: subsets of a returned resource.

The summary elements are those the version's definitions flag isSummary; a subset is marked with the
SUBSETTED tag, as the specification requires.
"""

from __future__ import annotations

from functools import lru_cache

from harness import definitions

SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"}
ALWAYS = ("resourceType", "id", "meta")


@lru_cache(maxsize=None)
def _elements(version: str, rtype: str) -> dict[str, dict]:
    return {e["path"]: e for e in definitions.load(version).type(rtype)["elements"]}


def _element(table: dict[str, dict], path: str, key: str) -> dict | None:
    """The definition of `key` under `path`, choice types ([x]) included."""
    hit = table.get(f"{path}.{key}")
    if hit is not None:
        return hit
    for p, e in table.items():
        if p.endswith("[x]") and p.startswith(f"{path}.") and "." not in p[len(path) + 1:] and \
                key.startswith(p[len(path) + 1:-3]):
            return e
    return None


def _summary_of(table: dict, path: str, node: dict) -> dict:
    out = {}
    for key, value in node.items():
        name = key[1:] if key.startswith("_") else key
        e = _element(table, path, name)
        if key in ALWAYS or (e is not None and e.get("summary")):
            if e is not None and isinstance(value, (dict, list)) and any(
                    p.startswith(e["path"] + ".") for p in table):  # a backbone element: recurse
                out[key] = [_summary_of(table, e["path"], v) if isinstance(v, dict) else v for v in value] \
                    if isinstance(value, list) else _summary_of(table, e["path"], value)
            else:
                out[key] = value
    return out


def _mandatory(table: dict, rtype: str, resource: dict) -> dict:
    return {k: v for k, v in resource.items()
            if (e := _element(table, rtype, k.lstrip("_"))) is not None and e.get("min", 0) >= 1}


def _tagged(resource: dict) -> dict:
    meta = dict(resource.get("meta") or {})
    meta["tag"] = list(meta.get("tag") or []) + [SUBSETTED]
    resource["meta"] = meta
    return resource


def subset(version: str, resource: dict, summary: str | None, elements: list[str] | None) -> dict:
    """The resource as `_summary` / `_elements` ask; unchanged when neither applies."""
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or (summary in (None, "false") and not elements):
        return resource
    table = _elements(version, rtype)
    if summary == "true":
        return _tagged(_summary_of(table, rtype, resource))
    if summary == "text":
        keep = {k: v for k, v in resource.items() if k in ALWAYS or k == "text"}
        return _tagged({**_mandatory(table, rtype, resource), **keep})
    if summary == "data":
        return _tagged({k: v for k, v in resource.items() if k != "text"})
    wanted = set(elements or ())
    return _tagged({k: v for k, v in resource.items() if k in ALWAYS or k.lstrip("_") in wanted}
                   | _mandatory(table, rtype, resource))
