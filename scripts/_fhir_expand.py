"""Local ValueSet expansion for scripts/build_definitions.py (standard library only).

Expands a ValueSet from the ValueSets and CodeSystems carried by one FHIR package, without a
terminology server. What can be computed exactly is computed; everything else makes the value set
"not expandable" with a reason, never a partial list:

* include.concept -> those codes; include.system alone -> every code of the package's CodeSystem
  (nested concepts included) when its content is "complete"; the grammar systems in GRAMMAR_SYSTEMS
  included whole go into "external" instead;
* include.filter: is-a, descendent-of, is-not-a on `concept`, and `=` on `concept`, `parent`,
  `child` or a property the CodeSystem declares (hierarchy from nested concepts and from
  parent/child properties);
* include.valueSet (imports, intersected when several, or with a system), compose.exclude
  (subtracted);
* a package expansion (nested contains flattened) is used when the compose cannot be computed,
  unless the expansion says it is incomplete.
"""

from __future__ import annotations

GRAMMAR_SYSTEMS = frozenset({"urn:ietf:bcp:13", "urn:ietf:bcp:47", "http://unitsofmeasure.org"})
HIERARCHY_OPS = ("is-a", "descendent-of", "is-not-a")


class NotExpandable(Exception):
    """The value set (or a part of it) cannot be computed from the package."""


def _walk(concepts, parent=None):
    for c in concepts or ():
        yield c, parent
        yield from _walk(c.get("concept"), c.get("code"))


def _prop_value(p: dict):
    for k, v in p.items():
        if k.startswith("value"):
            if isinstance(v, dict):  # valueCoding
                return v.get("code")
            if isinstance(v, bool):
                return "true" if v else "false"
            return str(v)
    return None


class CodeSystemIndex:
    """Codes, hierarchy and property values of one complete CodeSystem."""

    def __init__(self, cs: dict):
        self.url = cs["url"]
        self.codes: list[str] = []
        self.children: dict[str, set[str]] = {}
        self.props: dict[str, dict[str, set[str]]] = {}  # property -> value -> codes
        self.declared = {p.get("code") for p in cs.get("property") or ()}
        for c, parent in _walk(cs.get("concept")):
            code = c.get("code")
            if code is None:
                continue
            self.codes.append(code)
            if parent is not None:
                self.children.setdefault(parent, set()).add(code)
            for p in c.get("property") or ():
                v = _prop_value(p)
                if v is None:
                    continue
                self.props.setdefault(p.get("code"), {}).setdefault(v, set()).add(code)
                if p.get("code") == "parent":
                    self.children.setdefault(v, set()).add(code)
                elif p.get("code") == "child":
                    self.children.setdefault(code, set()).add(v)
        self.code_set = set(self.codes)

    def descendants(self, code: str) -> set[str]:
        out: set[str] = set()
        todo = [code]
        while todo:
            for ch in self.children.get(todo.pop(), ()):
                if ch not in out:
                    out.add(ch)
                    todo.append(ch)
        out.discard(code)
        return out

    def filter(self, f: dict) -> set[str]:
        prop, op, value = f.get("property"), f.get("op"), f.get("value")
        what = f"filter {prop} {op} {value!r} on {self.url}"
        if prop == "concept" and op in HIERARCHY_OPS or prop in ("concept", "parent", "child") and op == "=":
            if value not in self.code_set:
                raise NotExpandable(f"{what}: {value!r} is not a code of the CodeSystem")
            if op == "is-a":
                return self.descendants(value) | {value}
            if op == "descendent-of":
                return self.descendants(value)
            if op == "is-not-a":
                return self.code_set - self.descendants(value) - {value}
            if prop == "concept":
                return {value}
            if prop == "parent":
                return set(self.children.get(value, ()))
            return {c for c, kids in self.children.items() if value in kids and c in self.code_set}
        if op == "=" and (prop in self.declared or prop in self.props):
            return set(self.props.get(prop, {}).get(value, ()))
        raise NotExpandable(f"{what} is not supported locally")


class Expander:
    def __init__(self, valuesets: dict[str, dict], codesystems: dict[str, dict]):
        self.valuesets = valuesets
        self.codesystems = codesystems
        self._cs: dict[str, CodeSystemIndex] = {}
        self._memo: dict[str, tuple[dict[str, set[str]], set[str]] | NotExpandable] = {}

    # --- public ----------------------------------------------------------------------------------
    def entry(self, url: str) -> dict:
        """The valuesets.json entry for a (version-stripped) ValueSet URL."""
        vs = self.valuesets.get(url)
        if vs is None:
            return {"name": None, "version": None, "expandable": False, "reason": "not in package"}
        out = {"name": vs.get("name"), "version": vs.get("version")}
        try:
            codes, external = self.expand(url, ())
        except NotExpandable as e:
            return {**out, "expandable": False, "reason": str(e)}
        if not any(codes.values()) and not external:
            return {**out, "expandable": False, "reason": "the expansion is empty"}
        return {**out, "expandable": True, "external": sorted(external),
                "codes": {s: sorted(c) for s, c in codes.items() if c}}

    def expand(self, url: str, stack: tuple[str, ...]) -> tuple[dict[str, set[str]], set[str]]:
        if url in stack:
            raise NotExpandable(f"import cycle through {url}")
        memo = self._memo.get(url)
        if memo is None:
            try:
                memo = self._expand(url, stack + (url,))
            except NotExpandable as e:
                memo = e
            self._memo[url] = memo
        if isinstance(memo, NotExpandable):
            raise memo
        return memo

    # --- internals -------------------------------------------------------------------------------
    def _expand(self, url: str, stack: tuple[str, ...]):
        vs = self.valuesets.get(url)
        if vs is None:
            raise NotExpandable(f"imports {url}, which the package does not carry")
        compose = vs.get("compose")
        try:
            if not compose:
                raise NotExpandable(f"{url} has no compose")
            codes: dict[str, set[str]] = {}
            external: set[str] = set()
            for inc in compose.get("include") or ():
                c, ext = self._part(inc, stack)
                external |= ext
                for s, cs in c.items():
                    codes.setdefault(s, set()).update(cs)
            for exc in compose.get("exclude") or ():
                c, ext = self._part(exc, stack)
                if ext & external or any(s in external for s in c):
                    raise NotExpandable(f"excludes from {', '.join(sorted(ext | set(c)))}, "
                                        "which is included whole by grammar only")
                for s, cs in c.items():
                    if s in codes:
                        codes[s] -= cs
            return codes, external
        except NotExpandable as e:
            fallback = self._from_expansion(vs)
            if fallback is None:
                raise e
            return fallback, set()

    def _from_expansion(self, vs: dict) -> dict[str, set[str]] | None:
        exp = vs.get("expansion") or {}
        if not exp.get("contains"):
            return None
        for p in exp.get("parameter") or ():
            if p.get("name") == "limitedExpansion" and _prop_value(p) in ("true", "True"):
                return None
        codes: dict[str, set[str]] = {}
        n = 0
        stack = list(exp["contains"])
        while stack:
            c = stack.pop()
            stack.extend(c.get("contains") or ())
            if c.get("code") is not None and c.get("system"):
                codes.setdefault(c["system"], set()).add(c["code"])
                n += 1
        if (exp.get("total") is not None and exp["total"] > n) or exp.get("offset"):
            return None
        return codes

    def _index(self, system: str) -> CodeSystemIndex:
        idx = self._cs.get(system)
        if idx is None:
            cs = self.codesystems.get(system)
            if cs is None:
                raise NotExpandable(f"includes {system}, which the package does not carry")
            if cs.get("content") != "complete":
                raise NotExpandable(f"includes {system}, whose CodeSystem in the package has content "
                                    f"{cs.get('content')!r}")
            idx = self._cs[system] = CodeSystemIndex(cs)
        return idx

    def _part(self, inc: dict, stack: tuple[str, ...]) -> tuple[dict[str, set[str]], set[str]]:
        system = inc.get("system")
        imports = [u.split("|", 1)[0] for u in inc.get("valueSet") or ()]
        codes: dict[str, set[str]] | None = None
        external: set[str] = set()
        if system:
            if inc.get("concept"):
                codes = {system: {c["code"] for c in inc["concept"] if "code" in c}}
            elif inc.get("filter"):
                idx = self._index(system)
                sel = set(idx.code_set)
                for f in inc["filter"]:
                    sel &= idx.filter(f)
                codes = {system: sel}
            elif system in GRAMMAR_SYSTEMS:
                external = {system}
                codes = {}
            else:
                codes = {system: set(self._index(system).code_set)}
        for u in imports:
            try:
                c, ext = self.expand(u, stack)
            except NotExpandable as e:
                msg = str(e)
                raise NotExpandable(msg if msg.startswith(f"imports {u}") else f"imports {u}: {msg}")
            if codes is None:
                codes, external = {s: set(v) for s, v in c.items()}, set(ext)
                continue
            if ext or external:
                raise NotExpandable(f"intersects {u} with a system included whole by grammar only")
            codes = {s: v & c.get(s, set()) for s, v in codes.items()}
        return codes or {}, external
