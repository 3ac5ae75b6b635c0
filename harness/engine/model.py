"""Test cases as values: parsed once from YAML (after the JSON Schema check), then trusted.

The shape follows FHIR TestScript (fixtures, setup/test/teardown as steps + cleanup, operations,
asserts) in a form people write by hand; see docs/cases.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

VAR_RE = re.compile(r"\$\{([A-Za-z0-9_.\-]+)\}")
BUILTINS = ("tag", "tag.system", "tag.code", "tag.cases", "base", "run")


def _build(cls, data: dict):
    """Construct a frozen dataclass from a mapping, refusing keys it does not declare."""
    names = {f.name: f for f in fields(cls)}
    alias = getattr(cls, "ALIASES", {})
    kwargs = {}
    for key, value in data.items():
        name = alias.get(key, key)
        if name not in names:
            raise ValueError(f"{cls.__name__}: unknown key {key!r}")
        kwargs[name] = value
    return cls(**kwargs)


@dataclass(frozen=True)
class Requirement:
    version: str
    section: str
    text: str

    def cite(self) -> str:
        return f"{self.version} {self.section}: {self.text}"


@dataclass(frozen=True)
class Requires:
    resource: str | None = None
    interactions: tuple[str, ...] = ()
    searchParams: tuple[str, ...] = ()
    system: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()
    include: tuple[str, ...] = ()  # _include values, e.g. ImagingStudy:subject (rest.resource.searchInclude)
    revinclude: tuple[str, ...] = ()  # _revinclude values (rest.resource.searchRevInclude)
    chains: tuple[str, ...] = ()  # chained parameters, e.g. subject.identifier (SearchParameter.chain)
    unclaimed: str = "skip"  # what an unclaimed include / revinclude / chain does: skip | strict
    updateCreate: bool = False  # CapabilityStatement.rest.resource.updateCreate must be true


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: tuple[tuple[str, Any], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    fixture: str | None = None  # body: a fixture (references rewritten, id dropped, run tag added)
    body: Any = None  # body: inline JSON
    followNext: bool = False  # follow Bundle next links and merge the pages' entries
    rejectable: str | None = None  # an unclaimed feature sent under handling=strict: rejecting it passes

    @property
    def writes(self) -> bool:
        return self.method not in ("GET", "HEAD") and not (
            self.method == "POST" and self.path.rstrip("/").endswith("_search"))


@dataclass(frozen=True)
class Capture:
    name: str
    fhirpath: str | None = None
    header: str | None = None
    created: str | None = None  # "id" | "versionId" of what the step created (body, else Location)


@dataclass(frozen=True)
class Assertion:
    kind: str  # status | header | resourceType | bundleContains | bundleNotContains | bundleTotal |
    #            matchCount | fhirpath | valid | outcome
    value: Any
    description: str | None = None


@dataclass(frozen=True)
class Step:
    name: str
    request: Request
    captures: tuple[Capture, ...] = ()
    asserts: tuple[Assertion, ...] = ()


@dataclass(frozen=True)
class Var:
    name: str
    template: str | None = None  # "${other}-x"
    fixture: str | None = None  # value = FHIRPath over the fixture as loaded on the server
    fhirpath: str | None = None


@dataclass(frozen=True)
class Case:
    id: str
    suite: str
    title: str
    description: str
    requirement: Requirement
    tags: tuple[str, ...]
    versions: tuple[str, ...]
    requires: Requires
    fixtures: tuple[str, ...]
    vars: tuple[Var, ...]
    steps: tuple[Step, ...]
    cleanup: tuple[Step, ...]
    file: str
    line: int

    @property
    def writes(self) -> bool:
        return any(s.request.writes for s in self.steps)

    def referenced_fixtures(self) -> set[str]:
        names = set(self.fixtures)
        for s in self.steps + self.cleanup:
            if s.request.fixture:
                names.add(s.request.fixture)
            for a in s.asserts:
                if a.kind in ("bundleContains", "bundleNotContains", "matchOrder"):
                    names.update(a.value)
            for text in _strings(s.request):
                names.update(m.split(".")[1] for m in VAR_RE.findall(text) if m.startswith("fixture."))
        for v in self.vars:
            if v.fixture:
                names.add(v.fixture)
        return names


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            yield from _strings(x)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(obj, Request):
        yield from _strings([obj.path, obj.query, obj.headers, obj.body])


def step_strings(step: Step):
    """Every string of a step's request: where ${name} may appear."""
    return list(_strings(step.request))


ASSERT_KINDS = ("status", "header", "resourceType", "bundleContains", "bundleNotContains",
                "bundleTotal", "matchCount", "matchOrder", "fhirpath", "valid", "outcome", "singleSeries")


def case_from_dict(d: dict, suite: str, file: str, line: int) -> Case:
    known = {"id", "title", "description", "requirement", "tags", "versions", "requires", "fixtures",
             "vars", "steps", "cleanup"}
    unknown = set(d) - known
    if unknown:
        raise ValueError(f"unknown key(s) {sorted(unknown)}")
    return Case(
        id=d["id"], suite=suite, title=d["title"], description=d.get("description", ""),
        requirement=_build(Requirement, d["requirement"]),
        tags=tuple(d.get("tags", ())), versions=tuple(d["versions"]),
        requires=_requires(d.get("requires", {})),
        fixtures=tuple(d.get("fixtures", ())),
        vars=tuple(_var(k, v) for k, v in (d.get("vars") or {}).items()),
        steps=tuple(_step(s, i) for i, s in enumerate(d["steps"])),
        cleanup=tuple(_step(s, i) for i, s in enumerate(d.get("cleanup", ()))),
        file=file, line=line)


def _requires(d: dict) -> Requires:
    r = _build(Requires, d)
    return Requires(r.resource, tuple(r.interactions), tuple(r.searchParams), tuple(r.system),
                    tuple(r.operations), tuple(r.include), tuple(r.revinclude), tuple(r.chains), r.unclaimed,
                    bool(r.updateCreate))


def _var(name: str, v) -> Var:
    if isinstance(v, str):
        return Var(name, template=v)
    return Var(name, fixture=v["fixture"], fhirpath=v["fhirpath"])


def _step(d: dict, i: int) -> Step:
    unknown = set(d) - {"name", "request", "capture", "assert"}
    if unknown:
        raise ValueError(f"step: unknown key(s) {sorted(unknown)}")
    r = dict(d["request"])
    r["method"] = r["method"].upper()
    r["query"] = tuple((r.get("query") or {}).items())
    r["headers"] = tuple((r.get("headers") or {}).items())
    req = _build(Request, r)
    caps = tuple(Capture(n, **c) for n, c in (d.get("capture") or {}).items())
    asserts = []
    for a in d.get("assert", ()):
        a = dict(a)
        desc = a.pop("description", None)
        (kind, value), = a.items()
        asserts.append(Assertion(kind, value, desc))
    return Step(d.get("name", f"step {i + 1}"), req, caps, tuple(asserts))


@dataclass(frozen=True)
class Suite:
    name: str
    cases: tuple[Case, ...] = field(default=())
