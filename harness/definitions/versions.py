"""The one version table (versions.json, beside this module) and the lists derived from it.

Every list of FHIR versions in the harness (the definitions loader, the CLI's choices and help, the
reference server's versions and validator page, the fhirpathpy model per version, the engine's
versions and fixture families, the build scripts, the tests) comes from here, so adding a version is
one row of the table plus its generated definitions. The table's `_about` describes each column.

This module imports nothing of the harness (the build scripts load it by path).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TABLE = Path(__file__).resolve().with_name("versions.json")


@dataclass(frozen=True)
class Version:
    """One row of the table."""

    name: str
    label: str
    fhir_version: str
    package: str | None  # "name@version" of the official npm package the definitions are generated from
    seed: str | None  # the scripts/seeded module the definitions are hand-authored from
    inherits: str | None  # the version serving the types this one does not define
    fhirpath_model: str
    examples: str | None  # "name@version" of the official examples package, when one is read
    server: dict | None  # the reference server speaks it: {"resourceTypes": [...], "searchParameter": {...}}
    run: dict | None  # `run` covers it: {"fixtures": family, "fhirVersionPrefixes": [...]}


def _row(raw: dict, known: set[str]) -> Version:
    name, source = raw["name"], raw["source"]
    if name in known:
        raise ValueError(f"{TABLE.name}: version {name!r} appears twice")
    if (("package" in source) == ("seed" in source)) or set(source) - {"package", "seed"}:
        raise ValueError(f"{TABLE.name}: {name}: source needs exactly one of package, seed")
    return Version(name, raw["label"], raw["fhirVersion"], source.get("package"), source.get("seed"),
                   raw["inherits"], raw["fhirpathModel"], raw.get("examples"), raw["server"], raw["run"])


def parse(doc: dict) -> tuple[tuple[Version, ...], str]:
    """(rows, default name) of a table document; ValueError when it is inconsistent."""
    rows: list[Version] = []
    for raw in doc["versions"]:
        rows.append(_row(raw, {r.name for r in rows}))
    known = {r.name for r in rows}
    for r in rows:
        if r.inherits is not None and (r.inherits not in known or r.inherits == r.name):
            raise ValueError(f"{TABLE.name}: {r.name} inherits {r.inherits!r}, not another version of the table")
    if doc["default"] not in known:
        raise ValueError(f"{TABLE.name}: default {doc['default']!r} is not a version of the table")
    return tuple(rows), doc["default"]


def row_of(table: tuple[Version, ...], name: str) -> Version:
    for r in table:
        if r.name == name:
            return r
    raise KeyError(name)


@lru_cache(maxsize=1)
def _table() -> tuple[tuple[Version, ...], str]:
    return parse(json.loads(TABLE.read_text(encoding="utf-8")))


def rows() -> tuple[Version, ...]:
    """Every version, oldest first."""
    return _table()[0]


def names() -> tuple[str, ...]:
    return tuple(r.name for r in rows())


def row(name: str) -> Version:
    return row_of(rows(), name)


def default() -> str:
    """The version chosen when nothing else decides (validate, serve, the embedded server)."""
    return _table()[1]


def labels() -> dict[str, str]:
    return {r.name: r.label for r in rows()}


def model_for() -> dict[str, str]:
    """version -> the fhirpathpy model its expressions are evaluated with."""
    return {r.name: r.fhirpath_model for r in rows()}


def served() -> tuple[str, ...]:
    """The versions the reference server speaks."""
    return tuple(r.name for r in rows() if r.server is not None)


def runnable() -> tuple[str, ...]:
    """The versions `run` executes the cases against."""
    return tuple(r.name for r in rows() if r.run is not None)


def named_by(fhir_version: str | None) -> str | None:
    """The runnable version a CapabilityStatement.fhirVersion names (by prefix), else None."""
    for r in rows():
        for prefix in (r.run or {}).get("fhirVersionPrefixes", ()):
            if fhir_version and fhir_version.startswith(prefix):
                return r.name
    return None


def spoken(choices, last: str = "or") -> str:
    """'a, b or c': choices for a message or a help text."""
    items = list(choices)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"
