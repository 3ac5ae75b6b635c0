# imaging-harness: compiled
"""The validator facade: one resource (or a Bundle, entry by entry) in, Results out."""

from __future__ import annotations

from functools import lru_cache

from harness import definitions, imaging
from harness.definitions import versions
from harness.imaging.context import Resolver
from harness.validation.compiler import Compiler
from harness.validation.fastpath import FastPath
from harness.validation.invariants import InvariantPass
from harness.validation.issues import ERROR, INFORMATION, Issue, Issues, Result
from harness.validation.structure import Walker
from harness.validation import references, terminology

DEFAULT_VERSION = versions.default()  # the version table's


class Validator:
    """Validates resources of one FHIR version. Compiled state is reused across resources."""

    def __init__(self, version: str):
        self.defs = definitions.load(version)
        self.version = version
        self.compiler = Compiler(self.defs)
        self.invariants = InvariantPass(version, self.defs.label, self._member_of)
        # None: always the full walk (tests compare). It evaluates the invariant pass's natives, so
        # it is used only while those are on
        self.fastpath: FastPath | None = FastPath(self.compiler, self.invariants)

    def _member_of(self, url: str, value) -> bool | None:
        exp = terminology.expansion(self.defs, url)
        if not exp.expandable and not exp.grammars:
            return None
        if isinstance(value, str):
            return exp.has_code(value)
        if isinstance(value, dict):
            codings = value.get("coding") if "coding" in value else [value]
            return any(isinstance(c, dict) and exp.has_coding(c.get("system"), c.get("code"))
                       for c in (codings if isinstance(codings, list) else ()))
        return False

    def issues(self, resource: dict, duplicates: dict[int, list[str]] | None = None,
               bundle: dict | None = None, split_bundles: bool = True,
               resolver: Resolver | None = None, full_url: str | None = None) -> list[Issue]:
        use_fast = self.fastpath is not None and self.invariants.native and not duplicates
        fast = self.fastpath.run(resource, split_bundles) if use_fast else None
        if fast is not None:  # nothing structural to report: the walk's pending list, computed fast
            issues: list[Issue] = Issues()
            pending, local_refs = fast.pending, fast.local_refs
        else:
            walker = Walker(self.compiler, duplicates or {}, split_bundles=split_bundles, bundle=bundle)
            rt = resource.get("resourceType")
            walker.resource(resource, rt if isinstance(rt, str) and rt else "$", None)  # a location is text
            issues, pending, local_refs = walker.issues, walker.pending, walker.local_refs
        issues.extend(self.invariants.run(pending, bundle if bundle is not None else
                                          (resource if resource.get("resourceType") == "Bundle" else None),
                                          local_refs))
        issues.extend(references.full_url_issues(resource, self.defs.label))
        issues.extend(imaging.run(resource, self.version, resolver, full_url))
        return issues


@lru_cache(maxsize=None)
def validator(version: str) -> Validator:
    return Validator(version)


def choose_version(resource_type: str | None, requested: str | None) -> tuple[str, str | None]:
    """(version, note). Without a request, a type defined by one version's own folder decides."""
    if requested:
        return requested, None
    if isinstance(resource_type, str):
        owners = definitions.versions_defining(resource_type)
        if len(owners) == 1 and owners[0] != DEFAULT_VERSION and not definitions.load(DEFAULT_VERSION).has_type(resource_type):
            return owners[0], f"{resource_type} exists only in {owners[0]}"
    return DEFAULT_VERSION, None


def validate_value(value, source: str, version: str | None = None,
                   duplicates: dict[int, list[str]] | None = None, bundle: dict | None = None,
                   resolver: Resolver | None = None, full_url: str | None = None) -> Result:
    """Validate one parsed JSON value as a resource. Never raises for any input value."""
    if not isinstance(value, dict):
        v = version or DEFAULT_VERSION
        kind = "an array" if isinstance(value, list) else type(value).__name__ if value is not None else "null"
        return Result(source, None, None, v, (Issue(
            ERROR, "json.not-a-resource", "$", f"the JSON value is {kind}, not a resource object",
            f"{definitions.LABELS.get(v, v)} JSON format: a resource is an object with resourceType"),))
    rt = value.get("resourceType")
    rid = value.get("id") if isinstance(value.get("id"), str) else None
    chosen, note = choose_version(rt if isinstance(rt, str) else None, version)
    v = validator(chosen)
    try:
        found = v.issues(value, duplicates, bundle, resolver=resolver, full_url=full_url)
        issues = found if isinstance(found, Issues) else Issues(found)
    except RecursionError:
        issues = Issues([Issue(ERROR, "json.syntax", str(rt or "$"), "resource nested too deeply to validate",
                               f"{v.defs.label} JSON format")])
    if note:
        issues.insert(0, Issue(INFORMATION, "structure.inherited-definition", str(rt),
                               f"validated as {chosen}: {note}", f"{v.defs.label} definitions"))
    return Result(source, rt if isinstance(rt, str) else None, rid, chosen,
                  issues.final(rt if isinstance(rt, str) and rt else "$"))  # the one place issues are capped
