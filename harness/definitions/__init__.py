"""Definitions: compact, committed data generated from the official packages or authored from the
seeds (which version comes from where: the version table, versions.json), plus a loader.

This package imports nothing else of the harness. See FORMAT.md for the file format.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from harness.definitions import versions as _versions

HERE = Path(__file__).resolve().parent

#: every version name the harness knows, oldest first (the version table's rows)
VERSIONS = _versions.names()

#: the labels used in requirement texts
LABELS = _versions.labels()


class UnknownVersion(ValueError):
    pass


def _read(path: Path):
    with path.open("rb") as f:
        return json.loads(f.read())


@dataclass
class Definitions:
    """One version's definitions, with types loaded on first use."""

    name: str
    fhir_version: str
    label: str
    manifest: dict
    parent: "Definitions | None"
    _folder: Path
    _types: dict[str, dict] = field(default_factory=dict)
    _valuesets: dict | None = None
    _searchparams: list | None = None
    _extensions: dict | None = None

    # --- types ----------------------------------------------------------------------------------
    def owner_of(self, type_name: str) -> "Definitions | None":
        """The definitions (this version or an inherited one) that define the type."""
        d: Definitions | None = self
        while d is not None:
            if type_name in d.manifest["types"]:
                return d
            d = d.parent
        return None

    def has_type(self, type_name: str) -> bool:
        return self.owner_of(type_name) is not None

    def kind(self, type_name: str) -> str | None:
        d = self.owner_of(type_name)
        return None if d is None else d.manifest["types"][type_name]

    def type(self, type_name: str) -> dict:
        d = self.owner_of(type_name)
        if d is None:
            raise KeyError(type_name)
        t = d._types.get(type_name)
        if t is None:
            t = _read(d._folder / "types" / f"{type_name}.json")
            d._types[type_name] = t
        return t

    def resource_types(self) -> list[str]:
        names: set[str] = set()
        d: Definitions | None = self
        while d is not None:
            names.update(n for n, k in d.manifest["types"].items() if k == "resource")
            d = d.parent
        return sorted(names)

    # --- terminology and search -----------------------------------------------------------------
    def _lookup(self, table: str, key: str):
        """An entry of valuesets.json / extensions.json, here or in an inherited version."""
        d: Definitions | None = self
        while d is not None:
            attr = f"_{table}"
            if getattr(d, attr) is None:
                p = d._folder / f"{table}.json"
                setattr(d, attr, _read(p) if p.exists() else {})
            entry = getattr(d, attr).get(key)
            if entry is not None:
                return entry
            d = d.parent
        return None

    def valueset(self, url: str) -> dict | None:
        return self._lookup("valuesets", url)

    def extension(self, url: str) -> dict | None:
        return self._lookup("extensions", url)

    def search_parameters(self) -> list[dict]:
        if self._searchparams is None:
            p = self._folder / "searchparameters.json"
            own = _read(p) if p.exists() else []
            inherited = self.parent.search_parameters() if self.parent else []
            own_keys = {(tuple(sp["base"]), sp["code"]) for sp in own}
            bases = {b for sp in own for b in sp["base"]}
            self._searchparams = own + [
                sp for sp in inherited
                if (tuple(sp["base"]), sp["code"]) not in own_keys and not (set(sp["base"]) & bases)
            ]
        return self._searchparams


@lru_cache(maxsize=None)
def load(name: str) -> Definitions:
    if name not in VERSIONS:
        raise UnknownVersion(f"unknown FHIR version {name!r}; use one of: {', '.join(VERSIONS)}")
    folder = HERE / name
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise UnknownVersion(f"no definitions installed for {name!r} ({manifest_path} is missing)")
    manifest = _read(manifest_path)
    parent = load(manifest["inherits"]) if manifest.get("inherits") else None
    return Definitions(name, manifest["fhirVersion"], LABELS[name], manifest, parent, folder)


def available() -> list[str]:
    return [v for v in VERSIONS if (HERE / v / "manifest.json").exists()]


def versions_defining(type_name: str) -> list[str]:
    """Versions whose own folder (not an inherited one) defines the type."""
    return list(_versions_defining(type_name))


@lru_cache(maxsize=1024)
def _versions_defining(type_name: str) -> tuple[str, ...]:  # asked for every resource validated
    return tuple(v for v in available() if type_name in load(v).manifest["types"])
