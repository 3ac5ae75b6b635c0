# imaging-harness: compiled
"""The structural walk's fast path: checkers compiled from the definitions that certify a resource
has no structural finding at all, or give up.

Most resources in an export are valid, and for a valid resource the structural walk's only output
is the list of elements carrying invariants (and the '#' references dom-3 needs). The fast path
computes exactly that, with one function per element compiled once per process from the same
Nodes the walk uses (the element functions are generated: codegen.py): no location strings (locations are kept as tuples and joined only when an
invariant fails), no issue objects, no per-element method dispatch.

The moment anything would produce a finding of any severity (a wrong JSON kind, a cardinality, an
unknown element, a code outside a bound value set, an unknown extension, a duplicate key...) the
fast path raises Slow and the validator runs the full structural walk on the whole resource
instead. So the fast path never decides a finding: the walk's results are the results, and the
fast path only skips work for resources on which the walk would report nothing. Tests compare the
two on every fixture, the official examples and generated mutations, pending list included.
"""

from __future__ import annotations

from typing import Callable

from harness.validation import codegen, terminology
from harness.validation.compiler import Child, Compiler, Node
from harness.validation.structure import ID_CHARS, Pending


class Slow(Exception):
    """Something here would be reported: the full walk must run."""


_SLOW = Slow  # a class: each raise makes a fresh instance, so no traceback is kept between raises


def _slow(*_args) -> None:
    raise _SLOW


class State:
    __slots__ = ("pending", "local_refs")

    def __init__(self) -> None:
        self.pending: list[Pending] = []
        self.local_refs: dict[int, set[str]] = {}


def _binding_ok(defs, child: Child) -> Callable[[object], bool] | None:
    """A predicate that is True exactly when terminology.check would report nothing; None when
    it never reports anything for this element."""
    strength, url = child.binding  # type: ignore[misc]
    exp = terminology.expansion(defs, url)
    if not exp.expandable and not exp.grammars:
        return _never if strength == "required" else None
    if terminology.silent_miss(strength, exp):
        return None
    in_value_set, t = terminology.in_value_set, child.type_code

    def bound(v) -> bool:
        return in_value_set(exp, t, v) is not False
    bound.expansion = exp  # codegen tests a set of codes alone in place
    return bound


def _never(_v) -> bool:
    return False


class FastPath:
    """Compiled checkers for one version; `run` returns a State, or None when the walk must run."""

    def __init__(self, compiler: Compiler, invariants=None):
        self.c = compiler
        self.defs = compiler.defs
        self.invariants = invariants  # an InvariantPass: its natives about one element run in the walk
        self._checkers: dict[int, tuple[Node, Callable]] = {}
        self._resources: dict[str, tuple] = {}
        self._shapes: dict[int, tuple[Node, dict]] = {}

    def run(self, resource: dict, split_bundles: bool) -> State | None:
        self.split = split_bundles
        st = State()
        try:
            self.resource(resource, resource.get("resourceType"), None, st)
        except Slow:
            return None
        except RecursionError:
            return None  # the walk reports what it can of a resource nested this deeply
        return st

    # --- resources -------------------------------------------------------------------------------
    def _resource_entry(self, rt) -> tuple:
        entry = self._resources.get(rt)
        if entry is None:
            entry = (None, None)
            if self.defs.kind(rt) == "resource":
                node = self.c.type_node(rt)
                owner = self.defs.owner_of(rt)
                if not node.abstract and (owner is None or owner is self.defs):
                    entry = (self.checker(node), node)
            self._resources[rt] = entry
        return entry

    def resource(self, obj: dict, loc, root, st: State) -> None:
        rt = obj.get("resourceType")
        if not isinstance(rt, str) or not rt:
            raise _SLOW
        check, node = self._resource_entry(rt)
        if check is None:
            raise _SLOW
        rid = obj.get("id")
        if isinstance(rid, str) and rid and (len(rid) > 64 or not set(rid) <= ID_CHARS):
            raise _SLOW
        root = root if root is not None else obj
        check(obj, loc, obj, root, st)
        if node.constraints:
            st.pending.append(Pending(node.constraints, obj, rt, loc, obj, root, node))

    # --- objects ---------------------------------------------------------------------------------
    def checker(self, node: Node) -> Callable:
        entry = self._checkers.get(id(node))
        if entry is None or entry[0] is not node:
            entry = self._checkers[id(node)] = (node, self._build(node))  # the node is kept: its id stays its own
        return entry[1]

    def _build(self, node: Node) -> Callable:
        handlers: dict[str, Callable] = {}
        inline: dict[str, list[str] | None] = {}  # key -> its lines written in place
        em = codegen.Emitter(_SLOW)
        for key, child in node.children.items():
            handlers[key] = _made_on_first_call(handlers, key, lambda child=child: self._handler(child))
            inline[key] = self._inline(child, em)
            if child.kind == "primitive" and not child.no_extension:
                handlers["_" + key] = _underscore(key)
        if node.is_resource:
            handlers["resourceType"] = _skip
        required = [(keys[0], "_" + keys[0]) for m, keys in node.groups.values() if m > 0 and len(keys) == 1]
        choices = [(tuple((k, "_" + k) for k in keys), m) for m, keys in node.groups.values() if len(keys) > 1]

        def groups(o: dict) -> None:
            """The walk's group checks: a required element present, at most one type of a choice."""
            for k, uk in required:
                if k not in o and uk not in o:
                    raise _SLOW
            for keys, m in choices:
                n = 0
                for k, uk in keys:
                    if k in o or uk in o:
                        n += 1
                if n > 1 or (n == 0 and m > 0):
                    raise _SLOW
        return codegen.object_checker(node, handlers, inline, em, groups,
                                      self._extension_ok if node.is_extension else None, self.shapes_of(node))

    def shapes_of(self, node: Node) -> dict:
        """The node's table of per-shape functions (filled by its checker)."""
        entry = self._shapes.get(id(node))
        if entry is None:  # setdefault: threads asking at once all get the one table
            entry = self._shapes.setdefault(id(node), (node, {}))  # the node is kept: its id stays its own
        return entry[1]

    def _inline(self, child: Child, em) -> list[str] | None:
        """An element's lines for the object check, written in place of a call of its handler: a
        primitive's checks, and a single complex element's dispatch to its own object shape (one
        call fewer per object, about 5% of a whole validation). None for an array of objects and
        a resource, whose handler it calls: written in place they made each object shape several
        times longer to compile, for no measurable gain."""
        if child.max == 0 or child.kind == "resource":
            return None
        bind = _binding_ok(self.defs, child) if child.binding is not None else None
        if child.kind != "primitive":
            return None if child.many else codegen.complex_lines(self, child, bind, em)
        return codegen.primitive_lines(self, child, bind, em, plain=True)

    def _extension_ok(self, ext: dict) -> bool:
        url = ext.get("url")
        return (isinstance(url, str) and ("://" in url or url.startswith("urn:"))
                and self.defs.extension(url) is not None)

    # --- elements ---------------------------------------------------------------------------------
    def _handler(self, child: Child) -> Callable:
        if child.max == 0:
            return _slow  # prohibited: the walk reports it
        if child.kind == "resource":
            return self._inner_resources(child)
        bind = _binding_ok(self.defs, child) if child.binding is not None else None
        if child.kind == "primitive":
            return codegen.primitive_handler(self, child, bind, _SLOW)
        # a type the definitions lack (a primitive's System value) is left to the walk
        return codegen.complex_handler(self, child, bind, _SLOW) or _slow

    def _inner_resources(self, child: Child) -> Callable:
        """Resources inside a resource (contained, Bundle entries)."""
        seg, many, lo, hi = "." + child.loc, child.many, child.min, child.max
        skip_entry = child.path == "Bundle.entry.resource"

        def resources(v, o, loc, res, root, st) -> None:
            for here, item in _items(v, loc, seg, many, lo, hi):
                if item.__class__ is not dict:
                    raise _SLOW
                if not (skip_entry and self.split):
                    self.resource(item, here, root, st)
        return resources


def _items(v, loc, seg: str, many: bool, lo: int, hi: int | None) -> list:
    """(location, item) of an element's value; Slow for any array or cardinality finding."""
    if not many:
        if v.__class__ is list:
            raise _SLOW
        return [((loc, seg), v)]
    if v.__class__ is not list or not v or (hi is not None and len(v) > hi) or len(v) < lo:
        raise _SLOW
    return [((loc, seg, i), item) for i, item in enumerate(v)]


def _made_on_first_call(table: dict, key: str, make: Callable[[], Callable]) -> Callable:
    """A stand-in for table[key] that makes the real handler when first called and puts it in
    its place: an object type's elements get code only once they occur."""
    def stub(*args):
        real = table[key] = make()
        return real(*args)
    return stub


def _skip(v, o, loc, res, root, st) -> None:
    return None


def _underscore(key: str) -> Callable:
    """'_key': handled with 'key' when both are present; alone (an extension with no value) the
    walk decides."""
    def handler(v, o, loc, res, root, st) -> None:
        if key not in o:
            raise _SLOW
    return handler
