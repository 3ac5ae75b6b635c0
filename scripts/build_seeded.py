#!/usr/bin/env python3
"""Write the hand-authored definitions from scripts/seeded/ into harness/definitions/<version>/, in
the format of harness/definitions/FORMAT.md: one folder per row of the version table
(harness/definitions/versions.json) whose source is a seed module.

    python scripts/build_seeded.py            # (re)write the hand-authored folders
    python scripts/build_seeded.py --check    # exit 1 if any file differs from what would be written

Deterministic: same sources, same bytes. Only the hand-authored folders are touched; the
package-generated ones belong to scripts/build_definitions.py.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _version_table import version_table  # noqa: E402

ROOT = HERE.parent
DEFINITIONS = ROOT / "harness" / "definitions"
#: the seed module of each hand-authored row of the version table, in the table's order
MODULES = tuple(importlib.import_module(f"seeded.{r.seed}") for r in version_table().rows() if r.seed)
SEVERITIES = {"error", "warning", "information"}
STRENGTHS = {"required", "extensible", "preferred", "example"}


def dump(obj) -> bytes:
    return (json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def check_module(m) -> None:
    """Consistency checks on one version's sources; raises ValueError on the first problem."""
    man, row = m.MANIFEST, version_table().row(m.VERSION)
    if row.seed != m.__name__.rpartition(".")[2]:
        raise ValueError(f"{m.VERSION}: its row of the version table names the seed module {row.seed!r}")
    if man["version"] != m.VERSION or man["inherits"] != m.INHERITS or man["fhirVersion"] != m.FHIR_VERSION:
        raise ValueError(f"{m.VERSION}: manifest header disagrees with the module")
    if set(man["types"]) != set(m.TYPES):
        raise ValueError(f"{m.VERSION}: manifest types {sorted(man['types'])} != defined {sorted(m.TYPES)}")
    for seed in man["source"]["seeds"]:
        if not (ROOT.parent / seed).exists():
            raise ValueError(f"{m.VERSION}: cited seed {seed} not found next to the repository")
    bound: set[str] = set()
    for name, t in m.TYPES.items():
        if man["types"][name] != t["kind"]:
            raise ValueError(f"{m.VERSION}: {name} kind mismatch")
        paths = [e["path"] for e in t["elements"]]
        if len(paths) != len(set(paths)) or paths[0] != name:
            raise ValueError(f"{m.VERSION}: {name}: duplicate paths or root not first")
        known = set(paths)
        for e in t["elements"]:
            parent = e["path"].rpartition(".")[0]
            if parent and parent not in known:
                raise ValueError(f"{e['path']}: parent not defined")
            if not e.get("requirement"):
                raise ValueError(f"{e['path']}: no requirement")
            if e["max"] != "*" and not e["max"].isdigit():
                raise ValueError(f"{e['path']}: bad max {e['max']!r}")
            for k in e["constraints"]:
                c = t["constraints"].get(k)
                if c is None or c["severity"] not in SEVERITIES or not c.get("expression"):
                    raise ValueError(f"{e['path']}: constraint {k} missing or incomplete")
            b = e.get("binding")
            if b:
                if b["strength"] not in STRENGTHS or "|" in b["valueSet"]:
                    raise ValueError(f"{e['path']}: bad binding {b}")
                if b["strength"] in ("required", "extensible"):
                    bound.add(b["valueSet"])
    # every required/extensible binding of a seeded element has an entry (the inherited
    # Resource.language binding is resolved through `inherits`)
    inherited_ok = {"http://hl7.org/fhir/ValueSet/all-languages"}
    missing = bound - set(m.VALUESETS) - inherited_ok
    if missing:
        raise ValueError(f"{m.VERSION}: bound value sets without an entry: {sorted(missing)}")
    for url, vs in m.VALUESETS.items():
        if not vs.get("requirement") or ("codes" in vs) != vs["expandable"]:
            raise ValueError(f"{m.VERSION}: value set {url} incomplete")
    for sp in m.SEARCH_PARAMETERS:
        if not set(sp["base"]) <= set(m.TYPES):
            raise ValueError(f"{m.VERSION}: search parameter {sp['code']} on an undefined base")


def outputs(m) -> dict[Path, bytes]:
    folder = DEFINITIONS / m.VERSION
    out = {
        folder / "manifest.json": dump(m.MANIFEST),
        folder / "valuesets.json": dump(m.VALUESETS),
        folder / "searchparameters.json": dump(sorted(m.SEARCH_PARAMETERS, key=lambda sp: sp["url"])),
    }
    for name, t in m.TYPES.items():
        out[folder / "types" / f"{name}.json"] = dump(t)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args(argv)
    stale: list[str] = []
    for m in MODULES:
        check_module(m)
        wanted = outputs(m)
        folder = DEFINITIONS / m.VERSION
        extra = [p for p in (folder / "types").glob("*.json") if p not in wanted] if (folder / "types").exists() else []
        for path, data in wanted.items():
            if args.check:
                if not path.exists() or path.read_bytes() != data:
                    stale.append(str(path.relative_to(ROOT)))
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                if not path.exists() or path.read_bytes() != data:
                    path.write_bytes(data)
        for p in extra:
            if args.check:
                stale.append(f"{p.relative_to(ROOT)} (not generated)")
            else:
                p.unlink()
    if args.check and stale:
        print("out of date:\n  " + "\n  ".join(stale), file=sys.stderr)
        return 1
    if not args.check:
        for m in MODULES:
            n = sum(len(t["elements"]) for t in m.TYPES.values())
            print(f"{m.VERSION}: {', '.join(m.TYPES)} ({n} elements), {len(m.VALUESETS)} value sets, "
                  f"{len(m.SEARCH_PARAMETERS)} search parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
