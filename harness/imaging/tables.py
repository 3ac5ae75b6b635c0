"""The imaging tables (tables.json): per version, which resource types are which kind of imaging
resource and where each element lives, with 'inherits' applied. Data only: the rules
(harness/imaging/rules.py) and the resolution context (context.py) both read it from here."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources as _res


@lru_cache(maxsize=1)
def all_tables() -> dict:
    """tables.json as written (every version, before inheritance; the geometry table)."""
    return json.loads(_res.files("harness.imaging").joinpath("tables.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def table(version: str) -> dict[str, dict]:
    """resource type -> spec for this version, with 'inherits' applied."""
    versions = all_tables()["versions"]
    own = versions.get(version, {})
    base = dict(table(own["inherits"])) if "inherits" in own else {}
    base.update({k: v for k, v in own.items() if not k.startswith("_") and k != "inherits"})
    return base


#: the kinds of resource whose checks look studies up (a selection's study, a manifest's studies);
#: the other kinds resolve Endpoints only
STUDY_RESOLVING_KINDS = ("selection", "manifest")


@lru_cache(maxsize=1)
def types_resolving_studies() -> frozenset[str]:
    """Resource types that, in some version, have checks that look an ImagingStudy up."""
    return frozenset(rtype for version in all_tables()["versions"] for rtype, spec in table(version).items()
                     if isinstance(spec, dict) and spec.get("kind") in STUDY_RESOLVING_KINDS)
