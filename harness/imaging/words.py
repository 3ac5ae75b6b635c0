"""The spec's words for a rule, as the issues cite them: each version's source and words from tables.json.

The rule registry's requirement texts for the imaging rules are built from these, so words that are
version data are written once, in tables.json, and the generated docs/rules.md quotes what the issues quote.
"""

from __future__ import annotations

from typing import Callable, Iterator

from harness import definitions
from harness.imaging.rules import table


def _found(node: object, keys: list[str], keep: Callable[[dict], bool]) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _found(item, keys, keep)
    elif isinstance(node, dict) and keys[0] in node:
        if len(keys) > 1:
            yield from _found(node[keys[0]], keys[1:], keep)
        elif keep(node) and isinstance(node[keys[0]], str):
            yield node[keys[0]]


def cited(path: str, keep: Callable[[dict], bool] = lambda _: True) -> str:
    """'source: words; source: words' for the words at path (dotted; lists are walked; keep filters the
    object that holds the words) of every version's resource specs, each citation once, in version order."""
    out: dict[str, None] = {}
    for version in definitions.VERSIONS:
        for spec in table(version).values():
            if isinstance(spec, dict) and "source" in spec:
                for words in _found(spec, path.split("."), keep):
                    out[f"{spec['source']}: {words}"] = None
    return "; ".join(out)
