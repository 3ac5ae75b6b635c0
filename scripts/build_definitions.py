"""Generate harness/definitions/<version>/ from the official HL7 FHIR npm packages.

Usage (from the repository root, Python 3.11, standard library only):

    python scripts/build_definitions.py                      # every version generated from a package
    python scripts/build_definitions.py --versions r5 --cache /path/to/cache --out harness/definitions

Packages read (PACKAGES): the version table's (harness/definitions/versions.json) `source.package`
of each row that has one; the examples packages of STU3 and R4 carry every definition of their
version. STU3's StructureDefinitions are first brought to the R4 shape by
scripts/_sd_shapes.py (a no-op on R4 and later), so one code path builds every version. Each is looked for in
--cache DIR (default .pkgcache/, git-ignored) as DIR/<name>-<version>/package/; when missing it is
fetched with `npm pack NAME@VERSION --pack-destination DIR` (npm's configured registry) and
extracted with tarfile.

Output per version folder (format: harness/definitions/FORMAT.md): manifest.json, types/<Name>.json
(one per base StructureDefinition of kind resource / complex-type / primitive-type, compacted from
the snapshot), valuesets.json (required / extensible bindings and memberOf() value sets, expanded
locally by scripts/_fhir_expand.py) and searchparameters.json. Files are written with sorted keys
and compact separators, so running the script twice gives identical bytes. Stale files in the
version's types/ are removed; other version folders are never touched.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _fhir_expand import Expander  # noqa: E402
from _sd_shapes import upgrade  # noqa: E402
from _version_table import version_table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
#: version name -> (package name, package version): the version table's package-generated rows
PACKAGES = {r.name: tuple(r.package.rsplit("@", 1)) for r in version_table().rows() if r.package}
KINDS = ("resource", "complex-type", "primitive-type")
SD_PREFIX = "http://hl7.org/fhir/StructureDefinition/"
SP_PREFIX = "http://hl7.org/fhir/SearchParameter/"
SYSTEM_PREFIX = "http://hl7.org/fhirpath/"
EXT_FHIR_TYPE = SD_PREFIX + "structuredefinition-fhir-type"
EXT_REGEX = SD_PREFIX + "regex"
# a System type with no fhir-type extension (R4/R4B xhtml.id) falls back to this FHIR type name
SYSTEM_FALLBACK = {"System.String": "string", "System.Boolean": "boolean", "System.Integer": "integer",
                   "System.Decimal": "decimal", "System.Date": "date", "System.DateTime": "dateTime",
                   "System.Time": "time"}
JSON_KIND = {"System.Boolean": "boolean", "System.Integer": "number", "System.Decimal": "number"}
JSON_STRING_TYPES = {"integer64"}  # System.Integer in the R5 package, but a JSON string (R5 JSON rules)
# STU3 binds MIME-type elements (Attachment.contentType, Endpoint.payloadMimeType, ...) with
# binding.valueSetUri to the BCP 13 document itself, not to a ValueSet: the value set it names is
# "every MIME type", the grammar system the checker knows (R4 binds the same elements to
# ValueSet/mimetypes, which includes urn:ietf:bcp:13 whole)
GRAMMAR_BINDINGS = {
    "http://www.rfc-editor.org/bcp/bcp13.txt": {
        "name": "BCP 13 (RFC 6838 MIME types)", "version": None, "expandable": True,
        "external": ["urn:ietf:bcp:13"], "codes": {}},
}
MEMBER_OF = re.compile(r"memberOf\(\s*'([^']+)'\s*\)")

warnings: list[str] = []
# (version, key, kept expression, other expression) -> types where one key had both
conflicts: dict[tuple[str, str, str, str], set[str]] = {}


def extension_entry(sd: dict) -> dict:
    """What the validator needs of an extension definition the package carries: that it is known,
    where it may be used, and whether it is a modifier."""
    contexts = sorted({c.get("expression", "") for c in sd.get("context") or () if isinstance(c, dict)}
                      | {c for c in sd.get("context") or () if isinstance(c, str)})
    root = (sd.get("snapshot") or {}).get("element") or [{}]
    return {"name": sd.get("name"), "context": contexts, "modifier": bool(root[0].get("isModifier"))}


def inherit_primitive_json(types: dict) -> None:
    """unsignedInt and positiveInt declare System.String values in the packages, but they
    specialise integer, and the JSON format represents them as numbers: a primitive's JSON kind
    and system type follow its base primitive when it has one."""
    for t in types.values():
        base = types.get(t.get("base") or "")
        if t["primitive"] and base is not None and base.get("primitive") and t["name"] not in JSON_STRING_TYPES:
            t["primitive"]["json"] = base["primitive"]["json"]
            t["primitive"]["system"] = base["primitive"]["system"]


def warn(msg: str) -> None:
    warnings.append(msg)
    print(f"warning: {msg}", file=sys.stderr)


# --- packages -------------------------------------------------------------------------------------
def package_dir(cache: Path, name: str, version: str) -> Path:
    folder = cache / f"{name}-{version}"
    if (folder / "package" / "package.json").exists():
        return folder / "package"
    cache.mkdir(parents=True, exist_ok=True)
    tgz = cache / f"{name}-{version}.tgz"
    if not tgz.exists():
        print(f"fetching {name}@{version} with npm pack ...", file=sys.stderr)
        subprocess.run(["npm", "pack", f"{name}@{version}", "--pack-destination", str(cache),
                        "--loglevel=warn"],
                       check=True, stdout=subprocess.DEVNULL)
        if not tgz.exists():
            raise SystemExit(f"npm pack did not produce {tgz}")
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tgz, "r:gz") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(folder, filter="data")
        else:  # pragma: no cover - Python before 3.11.4
            tar.extractall(folder)
    return folder / "package"


def load_package(pkg: Path) -> dict[str, list[dict]]:
    """Top-level resources of the package by resourceType (only the four we use), file order."""
    out: dict[str, list[dict]] = {k: [] for k in
                                  ("StructureDefinition", "ValueSet", "CodeSystem", "SearchParameter")}
    for f in sorted(pkg.glob("*.json")):
        prefix = f.name.split("-", 1)[0]
        if prefix not in out:
            continue
        with f.open("rb") as fh:
            res = json.loads(fh.read())
        if res.get("resourceType") == prefix:
            res["__file"] = f.name
            if prefix == "StructureDefinition":
                upgrade(res)
            out[prefix].append(res)
    return out


# --- types ----------------------------------------------------------------------------------------
def type_name(url: str | None) -> str | None:
    if not url:
        return None
    url = url.split("|", 1)[0]
    tail = url[len(SD_PREFIX):] if url.startswith(SD_PREFIX) else None
    return tail if tail and "/" not in tail else url


def ext_value(exts, url: str):
    for x in exts or ():
        if x.get("url") == url:
            for k in ("valueUrl", "valueUri", "valueString", "valueCode"):
                if k in x:
                    return x[k]
    return None


def system_type(code: str | None) -> str | None:
    if code and code.startswith(SYSTEM_PREFIX + "System."):
        return code[len(SYSTEM_PREFIX):]
    if code and code.startswith("System."):
        return code
    return None


def norm_type(t: dict, path: str, primitive_value: bool) -> dict:
    exts = list(t.get("extension") or ()) + list((t.get("_code") or {}).get("extension") or ())
    code = t.get("code")
    sys_t = system_type(code)
    if code is None:
        code = ext_value(exts, EXT_FHIR_TYPE)
        if code is None:
            raise SystemExit(f"{path}: type without code: {t}")
    out: dict = {}
    if sys_t is not None:
        out["system"] = sys_t
        if primitive_value:
            code = sys_t  # kept as the System type; the FHIR type is the primitive itself
        else:
            code = ext_value(exts, EXT_FHIR_TYPE) or SYSTEM_FALLBACK.get(sys_t)
            if not ext_value(exts, EXT_FHIR_TYPE):
                warn(f"{path}: {sys_t} has no fhir-type extension; using {code!r}")
            if code is None:
                raise SystemExit(f"{path}: cannot map {sys_t} to a FHIR type")
    out["code"] = code
    targets = [type_name(u) for u in t.get("targetProfile") or ()]
    if targets:
        out["targets"] = targets
    return out


def content_reference(ref: str) -> str:
    return ref.split("#", 1)[1] if "#" in ref else ref


def build_type(sd: dict, version: str) -> dict:
    name = sd["type"]
    constraints: dict[str, dict] = {}
    elements = []
    primitive = None
    for e in sd["snapshot"]["element"]:
        path = e["path"]
        prim_value = sd["kind"] == "primitive-type" and path == f"{name}.value"
        el: dict = {"path": path, "min": e.get("min", 0), "max": e.get("max", "*"),
                    "types": [norm_type(t, f"{version} {path}", prim_value) for t in e.get("type") or ()]}
        if e.get("contentReference"):
            el["contentReference"] = content_reference(e["contentReference"])
        b = e.get("binding")
        if b and b.get("strength") in ("required", "extensible", "preferred", "example"):
            el["binding"] = {"strength": b["strength"]}
            if b.get("valueSet"):
                el["binding"]["valueSet"] = b["valueSet"].split("|", 1)[0]
        keys = []
        for c in e.get("constraint") or ():
            key = c["key"]
            entry = {"severity": c.get("severity"), "human": c.get("human"),
                     "expression": c.get("expression"), "source": type_name(c.get("source")) or name}
            old = constraints.get(key)
            if old is None:
                constraints[key] = entry
            elif old["expression"] != entry["expression"]:
                conflicts.setdefault((version, key, old["expression"], entry["expression"]), set()).add(name)
            if key not in keys:
                keys.append(key)
        el["constraints"] = keys
        if e.get("isSummary"):
            el["summary"] = True
        if e.get("isModifier"):
            el["modifier"] = True
        if e.get("maxLength") is not None:
            el["maxLength"] = e["maxLength"]
        elements.append(el)
        if prim_value:
            t = (e.get("type") or [{}])[0]
            sys_t = system_type(t.get("code"))
            json_kind = "string" if name in JSON_STRING_TYPES else JSON_KIND.get(sys_t, "string")
            exts = list(t.get("extension") or ()) + list(e.get("extension") or ())
            primitive = {"json": json_kind, "regex": ext_value(exts, EXT_REGEX), "system": sys_t}
    if sd["kind"] == "primitive-type" and primitive is None:
        warn(f"{version} {name}: primitive type without a value element")
        primitive = {"json": "string", "regex": None, "system": None}
    return {"name": name, "kind": sd["kind"], "abstract": bool(sd.get("abstract")),
            "base": type_name(sd.get("baseDefinition")), "url": sd["url"], "primitive": primitive,
            "constraints": constraints, "elements": elements}


def is_base_type(sd: dict) -> bool:
    return (sd.get("kind") in KINDS and (sd.get("derivation") == "specialization"
                                        or not sd.get("baseDefinition")) and bool(sd.get("snapshot")))


# --- value sets and search parameters -------------------------------------------------------------
def bound_valuesets(types: dict[str, dict]) -> set[str]:
    urls: set[str] = set()
    for t in types.values():
        for e in t["elements"]:
            b = e.get("binding")
            if b and b["strength"] in ("required", "extensible") and b.get("valueSet"):
                urls.add(b["valueSet"])
        for c in t["constraints"].values():
            urls.update(u.split("|", 1)[0] for u in MEMBER_OF.findall(c.get("expression") or ""))
    return urls


def is_example_sp(sp: dict) -> bool:
    """Examples of the SearchParameter resource itself (SearchParameter-example*.json)."""
    return sp["id"] == "example" or sp["id"].startswith("example-")


def search_parameter(sp: dict) -> dict:
    return {"url": sp["url"], "code": sp.get("code"), "name": sp.get("name"),
            "base": list(sp.get("base") or ()), "type": sp.get("type"),
            "expression": sp.get("expression") or "", "target": list(sp.get("target") or ()),
            "modifier": list(sp.get("modifier") or ()), "comparator": list(sp.get("comparator") or ()),
            "multipleOr": bool(sp.get("multipleOr")), "multipleAnd": bool(sp.get("multipleAnd")),
            "chain": list(sp.get("chain") or ())}


# --- writing --------------------------------------------------------------------------------------
def dumps(obj) -> bytes:
    return (json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def write(path: Path, obj) -> None:
    data = dumps(obj)
    if path.exists() and path.read_bytes() == data:
        return
    path.write_bytes(data)


def build(version: str, cache: Path, out: Path) -> dict:
    name, pkg_version = PACKAGES[version]
    pkg = package_dir(cache, name, pkg_version)
    with (pkg / "package.json").open("rb") as f:
        meta = json.loads(f.read())
    res = load_package(pkg)

    types: dict[str, dict] = {}
    for sd in res["StructureDefinition"]:
        if not is_base_type(sd) or not sd["url"].startswith(SD_PREFIX):
            continue
        t = build_type(sd, version)
        if t["name"] in types:
            warn(f"{version}: duplicate type {t['name']} ({sd['__file']}), kept the first")
            continue
        types[t["name"]] = t
    inherit_primitive_json(types)

    valuesets = {vs["url"]: vs for vs in res["ValueSet"] if vs.get("url")}
    codesystems = {cs["url"]: cs for cs in res["CodeSystem"] if cs.get("url")}
    expander = Expander(valuesets, codesystems)
    vs_out = {url: GRAMMAR_BINDINGS.get(url) or expander.entry(url) for url in sorted(bound_valuesets(types))}

    extensions = {sd["url"]: extension_entry(sd) for sd in res["StructureDefinition"]
                  if sd.get("type") == "Extension" and sd.get("derivation") == "constraint" and sd.get("url")}

    sps = [search_parameter(sp) for sp in res["SearchParameter"]
           if sp.get("url", "").startswith(SP_PREFIX) and not is_example_sp(sp)]
    sps.sort(key=lambda s: (s["url"], s["code"] or ""))

    folder = out / version
    tdir = folder / "types"
    tdir.mkdir(parents=True, exist_ok=True)
    wanted = {f"{n}.json" for n in types}
    for f in sorted(tdir.iterdir()):
        if f.name not in wanted:
            f.unlink()
    for n, t in types.items():
        write(tdir / f"{n}.json", t)
    write(folder / "valuesets.json", vs_out)
    write(folder / "extensions.json", dict(sorted(extensions.items())))
    write(folder / "searchparameters.json", sps)
    manifest = {"version": version, "fhirVersion": (meta.get("fhirVersions") or [meta["version"]])[0],
                "source": {"package": name, "packageVersion": pkg_version}, "inherits": None,
                "types": {n: t["kind"] for n, t in types.items()}}
    write(folder / "manifest.json", manifest)
    return {"types": len(types), "valuesets": len(vs_out), "searchparameters": len(sps),
            "expandable": sum(1 for v in vs_out.values() if v["expandable"])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--cache", type=Path, default=ROOT / ".pkgcache",
                    help="package cache folder (default: .pkgcache/ in the repository)")
    ap.add_argument("--out", type=Path, default=ROOT / "harness" / "definitions",
                    help="definitions folder (default: harness/definitions)")
    ap.add_argument("--versions", default=",".join(PACKAGES),
                    help=f"comma-separated subset of {','.join(PACKAGES)}")
    args = ap.parse_args(argv)
    versions = [v.strip() for v in args.versions.split(",") if v.strip()]
    unknown = [v for v in versions if v not in PACKAGES]
    if unknown:
        ap.error(f"unknown version(s) {', '.join(unknown)}; choose from {', '.join(PACKAGES)}")
    for v in versions:
        stats = build(v, args.cache, args.out)
        print(f"{v}: {stats['types']} types, {stats['valuesets']} value sets "
              f"({stats['expandable']} expandable), {stats['searchparameters']} search parameters")
    for (v, key, kept, other), names in sorted(conflicts.items()):
        shown = ", ".join(sorted(names)[:6]) + (", ..." if len(names) > 6 else "")
        warn(f"{v}: constraint {key} has two expressions within one StructureDefinition in "
             f"{len(names)} types ({shown}); kept the first seen, here {kept!r}, over {other!r}")
    if warnings:
        print(f"{len(warnings)} warning(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
