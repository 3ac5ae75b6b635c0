"""Load `testcases/<suite>/*.yaml`: YAML with line marks → JSON Schema check → Case values → static
checks (unique ids, fixtures exist, ${name} defined before use, no cycles among vars).

Every problem is a CaseFileError with file, line and what is wrong; the run refuses to start on any.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml

from harness import shipped
from harness.definitions import versions
from harness.engine import fixtures as fx
from harness.engine.model import BUILTINS, VAR_RE, Case, case_from_dict, step_strings

SCHEMA_PATH = Path(__file__).with_name("case.schema.json")
DEFAULT_CASES = shipped.folder("testcases")  # package data when installed, testcases/ in a checkout


@dataclass(frozen=True)
class CaseFileError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class CaseErrors(Exception):
    def __init__(self, errors: list[CaseFileError]):
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors


@lru_cache(maxsize=1)
def schema_validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema["properties"]["versions"]["items"]["enum"] = list(versions.runnable())  # the version table's
    return jsonschema.Draft202012Validator(schema)


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver: dates in case files stay strings (search values)."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _scalar(node):
    return _Loader("").construct_object(node, deep=True)


def _construct(node, path=(), lines=None):
    """Plain data from a composed YAML node, recording the line of every path."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = {}
        for k, v in node.value:
            key = _scalar(k) if isinstance(k, yaml.ScalarNode) else str(k.start_mark)
            if key in out:
                raise yaml.YAMLError(f"line {k.start_mark.line + 1}: duplicate key {key!r}")
            lines[path + (key,)] = k.start_mark.line + 1
            out[key] = _construct(v, path + (key,), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(v, path + (i,), lines) for i, v in enumerate(node.value)]
    return _scalar(node)


def _line(lines: dict, path) -> int:
    path = tuple(path)
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def load_file(path: Path, suite: str) -> tuple[list[Case], list[CaseFileError]]:
    """One YAML file holds one case (a mapping) or several (a list of mappings)."""
    name = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=_Loader)
    except (OSError, UnicodeDecodeError) as e:
        return [], [CaseFileError(name, 1, f"cannot read: {e}")]
    except yaml.MarkedYAMLError as e:
        line = (e.problem_mark.line + 1) if e.problem_mark else 1
        return [], [CaseFileError(name, line, f"invalid YAML: {e.problem or e}")]
    except yaml.YAMLError as e:
        return [], [CaseFileError(name, 1, f"invalid YAML: {e}")]
    if node is None:
        return [], [CaseFileError(name, 1, "empty case file")]
    lines: dict = {}
    try:
        data = _construct(node, (), lines)
    except yaml.YAMLError as e:
        return [], [CaseFileError(name, 1, f"invalid YAML: {e}")]
    docs = data if isinstance(data, list) else [data]
    cases, errors = [], []
    for i, doc in enumerate(docs):
        prefix = (i,) if isinstance(data, list) else ()
        errs = sorted(schema_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
        if errs:
            for e in errs:
                best = jsonschema.exceptions.best_match([e])
                where = "/".join(map(str, best.absolute_path)) or "(case)"
                errors.append(CaseFileError(name, _line(lines, prefix + tuple(best.absolute_path)),
                                            f"{where}: {best.message}"))
            continue
        try:
            cases.append(case_from_dict(doc, suite, name, _line(lines, prefix)))
        except (ValueError, TypeError, KeyError) as e:
            errors.append(CaseFileError(name, _line(lines, prefix), str(e)))
    return cases, errors


def load_cases(root: Path | None = None, suites=(), case_ids=(), tags=()) -> list[Case]:
    """All cases under root (filtered), or CaseErrors listing every problem of every file."""
    root = Path(root) if root else DEFAULT_CASES
    if not root.is_dir():
        raise CaseErrors([CaseFileError(str(root), 0, "no such test case directory")])
    cases, errors = [], []
    for suite_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(suite_dir.glob("*.y*ml")):
            c, e = load_file(f, suite_dir.name)
            cases += c
            errors += e
    errors += check_cases(cases)
    if errors:
        raise CaseErrors(errors)
    known_suites = {c.suite for c in cases}
    for s in suites:
        if s not in known_suites:
            raise CaseErrors([CaseFileError(str(root), 0, f"unknown suite {s!r}; known: {', '.join(sorted(known_suites))}")])
    ids = {c.id for c in cases}
    for cid in case_ids:
        if cid not in ids:
            raise CaseErrors([CaseFileError(str(root), 0, f"unknown case id {cid!r}")])
    return [c for c in cases
            if (not suites or c.suite in suites) and (not case_ids or c.id in case_ids)
            and (not tags or set(tags) & set(c.tags))]


def check_cases(cases: list[Case]) -> list[CaseFileError]:
    errors: list[CaseFileError] = []
    seen: dict[str, Case] = {}
    for c in cases:
        if c.id in seen:
            errors.append(CaseFileError(c.file, c.line, f"duplicate case id {c.id!r} (also {seen[c.id].file}:{seen[c.id].line})"))
        seen[c.id] = c
        errors += [CaseFileError(c.file, c.line, m) for m in check_case(c)]
    return errors


def check_case(c: Case) -> list[str]:
    problems = []
    for version in c.versions:
        available = fx.names(version)
        for name in sorted(c.referenced_fixtures()):
            if name not in available:
                problems.append(f"case {c.id}: fixture {name!r} does not exist for {version} "
                                f"({fx.dataset_dir(version)} or {fx.negative_dir(version)})")
    var_names = {v.name for v in c.vars}
    deps = {v.name: set(VAR_RE.findall(v.template)) if v.template else set() for v in c.vars}
    cycle = _find_cycle(deps)
    if cycle:
        problems.append(f"case {c.id}: capture/var cycle: {' -> '.join(cycle)}")
    defined = set(var_names)
    for step in c.steps + c.cleanup:
        for text in step_strings(step):
            for ref in VAR_RE.findall(text):
                if ref in BUILTINS or ref.startswith("fixture.") or ref in defined:
                    continue
                later = any(cap.name == ref for s in c.steps + c.cleanup for cap in s.captures)
                problems.append(f"case {c.id}: step {step.name!r} uses ${{{ref}}} "
                                + ("before it is captured" if later else "which is never defined"))
        defined |= {cap.name for cap in step.captures}
        segs = step.request.path.split("?")[0].strip("/").split("/")
        creates = (step.request.method == "POST" and len(segs) == 1 and segs[0]) or (
            step.request.method == "PUT" and len(segs) == 2)
        for cap in step.captures:
            if cap.created and not creates:
                problems.append(f"case {c.id}: step {step.name!r}: capture {cap.name} takes what the step "
                                "created, and only POST [type] or PUT [type]/[id] creates")
    for name, refs in deps.items():
        for ref in refs:
            if ref not in var_names and ref not in BUILTINS and not ref.startswith("fixture."):
                problems.append(f"case {c.id}: var {name!r} uses ${{{ref}}} which is not a var")
    return problems


def _find_cycle(deps: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def visit(n, stack):
        state[n] = 1
        for m in sorted(deps.get(n, ())):
            if m not in deps:
                continue
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m] if m in stack else [n, m]
            if state.get(m) is None:
                found = visit(m, stack + [m])
                if found:
                    return found
        state[n] = 2
        return None

    for n in sorted(deps):
        if n not in state:
            found = visit(n, [n])
            if found:
                return found
    return None


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
