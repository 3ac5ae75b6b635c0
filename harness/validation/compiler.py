# imaging-harness: compiled
"""Compile a version's definitions into checker nodes, once per (version, type).

A Node is one complex type or backbone element: a dict from JSON property name to Child, with the
choice types [x] expanded into their JSON names, the primitive specs compiled, and the element's
required children listed. Nodes of datatypes are built lazily and shared, so recursive types
(Identifier -> Reference -> Identifier) and contentReference loops (Questionnaire.item) cost
nothing until used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.definitions import Definitions
from harness.validation.primitives import PrimitiveSpec, compile_primitive

#: constraints the structural walk enforces itself (ele-1: json.empty and the id-only check), by
#: expression, so a version whose expression differs still goes to the FHIRPath evaluator
WALKER_NATIVE = frozenset({
    "hasValue() or (children().count() > id.count())",
    # R4B 4.3.0 adds the Parameters exemption; the walk never applies ele-1 to resources
    "hasValue() or (children().count() > id.count()) or $this is Parameters",
    # STU3 3.0.2 writes ele-1 with '|' (union) where 'or' is meant; its words are the same ("All
    # FHIR elements must have a @value or children"), and the walk enforces those words
    "hasValue() | (children().count() > id.count())",
})

RESOURCE = "Resource"  # a type code whose value is any resource (contained, Bundle.entry.resource)


@dataclass(frozen=True, slots=True)
class Constraint:
    key: str
    severity: str
    human: str
    expression: str
    source: str  # type the constraint was defined on
    owner: str  # type whose definition carries it (for the requirement text)


@dataclass(slots=True)
class Child:
    name: str  # element name as in the definition ("value[x]", "status")
    key: str  # JSON property name ("valueQuantity", "status")
    path: str  # element path in its type ("ImagingStudy.series.uid")
    loc: str  # location segment: "status" or "value.ofType(Quantity)"
    min: int
    max: int | None  # None = unbounded
    many: bool
    type_code: str
    choice: bool
    kind: str  # primitive | complex | backbone | resource
    prim: PrimitiveSpec | None = None
    node: "Node | None" = None
    backbone_path: str | None = None
    owner: str = ""  # type name whose SD defines this element
    binding: tuple[str, str] | None = None  # (strength, valueset url)
    constraints: tuple[Constraint, ...] = ()
    targets: tuple[str, ...] = ()
    no_extension: bool = False  # System-typed (Element.id, Extension.url): no _element allowed
    requirement: str | None = None
    item_constraints: tuple[Constraint, ...] | None = None  # constraints + the type's, once known


@dataclass(slots=True)
class Node:
    type_name: str  # the datatype or resource that defines it
    path: str  # element path ("ImagingStudy.series")
    children: dict[str, Child] = field(default_factory=dict)
    # element name -> (min, keys) for elements with min > 0 or choice groups
    groups: dict[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)
    constraints: tuple[Constraint, ...] = ()  # the type's root-element constraints
    is_resource: bool = False
    is_extension: bool = False
    abstract: bool = False


class Compiler:
    def __init__(self, defs: Definitions):
        self.defs = defs
        self._types: dict[str, Node] = {}
        self._paths: dict[tuple[str, str], Node] = {}
        self._prims: dict[str, PrimitiveSpec] = {}
        self._by_parent: dict[str, dict[str, list[dict]]] = {}

    # --- public ----------------------------------------------------------------------------------
    def type_node(self, type_name: str) -> Node:
        node = self._types.get(type_name)
        if node is None:
            node = self._build_type(type_name)
        return node

    def primitive(self, type_name: str) -> PrimitiveSpec:
        spec = self._prims.get(type_name)
        if spec is None:
            t = self.defs.type(type_name)
            spec = compile_primitive(type_name, t.get("primitive"))
            self._prims[type_name] = spec
        return spec

    def child_node(self, child: Child) -> Node:
        if child.node is None:
            if child.backbone_path is not None:
                child.node = self._path_node(child.owner, child.backbone_path)
            else:
                child.node = self.type_node(child.type_code)
        return child.node

    def item_constraints(self, child: Child) -> tuple[Constraint, ...]:
        """The constraints on each value of a complex element: the element's and its type's. One
        tuple per element, so the invariant pass can cache its plan by identity."""
        cons = child.item_constraints
        if cons is None:
            node = self.child_node(child)
            cons = child.item_constraints = child.constraints + (
                node.constraints if child.kind == "complex" else ())
        return cons

    # --- building --------------------------------------------------------------------------------
    def _elements_by_parent(self, type_name: str) -> dict[str, list[dict]]:
        table = self._by_parent.get(type_name)
        if table is None:
            table = {}
            for e in self.defs.type(type_name)["elements"]:
                parent, _, _ = e["path"].rpartition(".")
                if parent:
                    table.setdefault(parent, []).append(e)
            self._by_parent[type_name] = table
        return table

    # A node is published (put where other threads find it) only once it is complete: validation
    # runs in several threads (the service, the embedded server beside the runner), and a thread
    # must never see a node still being filled. Two threads may build the same node; the first
    # published wins and the other copy is dropped. Children are filled without building other
    # nodes (child_node is lazy), so recursive types need no early publication.
    def _build_type(self, type_name: str) -> Node:
        t = self.defs.type(type_name)
        node = self._filled(type_name, type_name)
        root = t["elements"][0] if t["elements"] else {}
        node.constraints = self._constraints(type_name, root)
        node.is_resource = t["kind"] == "resource"
        node.is_extension = type_name == "Extension"
        node.abstract = bool(t.get("abstract"))
        node = self._types.setdefault(type_name, node)
        self._paths.setdefault((type_name, type_name), node)
        return node

    def _path_node(self, owner: str, path: str) -> Node:
        cached = self._paths.get((owner, path))
        if cached is not None:
            return cached
        if path == owner:  # a type's root element is the type's node
            return self.type_node(owner)
        return self._paths.setdefault((owner, path), self._filled(owner, path))

    def _filled(self, owner: str, path: str) -> Node:
        """A new node for the element at path, with its children (not yet published)."""
        node = Node(owner, path)
        by_parent = self._elements_by_parent(owner)
        for e in by_parent.get(path, ()):
            self._add_children(node, owner, e, by_parent)
        return node

    def _add_children(self, node: Node, owner: str, e: dict, by_parent: dict) -> None:
        path = e["path"]
        name = path.rsplit(".", 1)[1]
        max_s = e.get("max", "*")
        max_n = None if max_s == "*" else int(max_s)
        many = max_n is None or max_n > 1
        binding = None
        b = e.get("binding")
        if b and b.get("strength") in ("required", "extensible") and b.get("valueSet"):
            binding = (b["strength"], b["valueSet"])
        constraints = self._constraints(owner, e)
        types = e.get("types") or []
        choice = name.endswith("[x]")
        base = name[:-3] if choice else name
        keys: list[str] = []
        if e.get("contentReference"):
            ref_path = e["contentReference"]
            ref_owner = ref_path.split(".", 1)[0]
            child = Child(name, base, path, base, e.get("min", 0), max_n, many, "BackboneElement",
                          False, "backbone", backbone_path=ref_path, owner=ref_owner,
                          binding=binding, constraints=constraints, requirement=e.get("requirement"))
            node.children[base] = child
            keys.append(base)
        else:
            for t in types:
                code = t["code"]
                key = base + code[0].upper() + code[1:] if choice else base
                loc = f"{base}.ofType({code})" if choice else base
                kind, backbone = self._kind(code, path, by_parent)
                child = Child(name, key, path, loc, e.get("min", 0), max_n, many, code, choice, kind,
                              owner=owner, binding=binding, constraints=constraints,
                              targets=tuple(t.get("targets") or ()),
                              no_extension=bool(t.get("system")), requirement=e.get("requirement"))
                if kind == "primitive":
                    child.prim = self.primitive(code)
                elif backbone:
                    child.backbone_path = path
                node.children[key] = child
                keys.append(key)
                if not choice:
                    break  # non-choice elements have one type (Reference targets live in targets)
        if (e.get("min", 0) > 0 or choice) and keys:
            node.groups[base] = (e.get("min", 0), tuple(keys))

    def _kind(self, code: str, path: str, by_parent: dict) -> tuple[str, bool]:
        if path in by_parent:  # inline children: a backbone element
            return "backbone", True
        if code == RESOURCE:
            return "resource", False
        k = self.defs.kind(code)
        if k == "primitive-type":
            return "primitive", False
        if k == "resource":
            return "resource", False
        return "complex", False

    def _constraints(self, owner: str, e: dict) -> tuple[Constraint, ...]:
        keys = e.get("constraints") or ()
        if not keys:
            return ()
        table = self.defs.type(owner).get("constraints") or {}
        out = []
        for k in keys:
            c = table.get(k)
            if c and c.get("expression") and c["expression"] not in WALKER_NATIVE:
                out.append(Constraint(k, c.get("severity", "error"), c.get("human", ""),
                                      c["expression"], c.get("source") or owner, owner))
        return tuple(out)
