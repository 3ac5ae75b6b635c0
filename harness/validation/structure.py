# imaging-harness: compiled
"""The structural walk: one pass over a resource that checks JSON kinds, cardinality, unknown
elements, choice types, primitive formats, primitive extensions, reference targets, bindings and
extensions, and collects every element that carries an invariant for the invariant pass.
"""

from __future__ import annotations

from harness.validation.compiler import Child, Compiler, Constraint, Node
from harness.validation.issues import ERROR, INFORMATION, WARNING, Issue, Issues
from harness.validation.primitives import kind_of
from harness.validation import references, terminology

URI_TYPES = frozenset({"uri", "url", "canonical"})
ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.")


class Pending:
    """An element instance whose constraints the invariant pass evaluates. The location may be
    kept lazily as a tuple, (parent, '.name') or (parent, '.name', index), as the fast path builds it,
    and is joined into text only when read."""

    __slots__ = ("constraints", "value", "type_path", "_loc", "resource", "root", "node")

    def __init__(self, constraints, value, type_path, location, resource, root, node):
        self.constraints = constraints
        self.value = value
        self.type_path = type_path
        self._loc = location
        self.resource = resource
        self.root = root
        self.node = node

    @property
    def location(self) -> str:
        loc = self._loc
        if loc.__class__ is tuple:
            parts = []
            while loc.__class__ is tuple:
                parts.append(f"{loc[1]}[{loc[2]}]" if len(loc) == 3 else loc[1])
                loc = loc[0]
            parts.append(loc)
            self._loc = loc = "".join(reversed(parts))
        return loc


class Walker:
    def __init__(self, compiler: Compiler, duplicates: dict[int, list[str]], split_bundles: bool = True,
                 bundle: dict | None = None):
        self.c = compiler
        self.split_bundles = split_bundles  # Bundle entries are validated as results of their own
        self.bundle = bundle  # the Bundle the resource is an entry of, when validated with it
        self.defs = compiler.defs
        self.label = compiler.defs.label
        self.dups = duplicates
        self.issues: list[Issue] = Issues()  # capped (issues.MAX_ISSUES)
        self.pending: list[Pending] = []
        # id(resource) -> '#...' values of its reference/uri/url/canonical elements (dom-3)
        self.local_refs: dict[int, set[str]] = {}

    # --- reporting -------------------------------------------------------------------------------
    def add(self, severity: str, rule: str, location: str, message: str, requirement: str) -> None:
        self.issues.append(Issue(severity, rule, location, message, requirement))

    def req(self, child: Child | None, what: str) -> str:
        if child is not None and child.requirement:
            return f"{self.label} {child.path}: {what} ({child.requirement})"
        return f"{self.label} {child.path if child else ''}: {what}".replace(" : ", ": ")

    # --- resources -------------------------------------------------------------------------------
    def resource(self, obj: dict, loc: str, root: dict | None, contained: bool = False) -> None:
        rt = obj.get("resourceType")
        if not isinstance(rt, str) or not rt:
            self.add(ERROR, "json.not-a-resource", loc, "resource has no resourceType",
                     f"{self.label} JSON format: resourceType is required")
            return
        kind = self.defs.kind(rt)
        if kind != "resource":
            self.add(ERROR, "structure.unknown-resource-type", loc,
                     f"{rt!r} is not a resource type of {self.label}",
                     f"{self.label} resource list")
            return
        node = self.c.type_node(rt)
        if node.abstract:
            self.add(ERROR, "structure.abstract-type", loc, f"{rt} is abstract and cannot be instantiated",
                     f"{self.label} {rt}: abstract type")
            return
        owner = self.defs.owner_of(rt)
        if owner is not None and owner is not self.defs:
            self.add(INFORMATION, "structure.inherited-definition", loc,
                     f"{self.label} does not define {rt}; validated with the {owner.label} definition",
                     f"{self.label} definitions manifest: inherits {owner.name}")
        rid = obj.get("id")
        skip: tuple[str, ...] = ("resourceType",)
        if isinstance(rid, str) and rid and (len(rid) > 64 or not set(rid) <= ID_CHARS):
            self.add(ERROR, "structure.resource-id", f"{loc}.id",
                     f"resource id {rid[:80]!r} is not 1-64 characters of A-Z a-z 0-9 - .",
                     f"{self.label} Resource.id (datatypes: id)")
            skip = ("resourceType", "id")  # reported once, not again as a primitive format
        root = root if root is not None else obj
        self.obj(obj, node, loc, obj, root, skip=skip)
        if node.constraints:
            self.pending.append(Pending(node.constraints, obj, rt, loc, obj, root, node))

    # --- objects ---------------------------------------------------------------------------------
    def obj(self, obj: dict, node: Node, loc: str, resource: dict, root: dict, skip=()) -> None:
        dup = self.dups.get(id(obj))
        if dup:
            for k in dup:
                self.add(ERROR, "json.duplicate-key", f"{loc}.{k.lstrip('_')}",
                         f"property {k!r} appears more than once in the same object",
                         f"{self.label} JSON format: one property per element")
        if not obj:
            self.add(ERROR, "json.empty", loc, "empty object", f"{self.label} JSON format: no empty objects")
            return
        if not node.is_resource and obj.keys() <= {"id"}:
            self.add(ERROR, "invariant.ele-1", loc, "All FHIR elements must have a @value or children",
                     f"{self.label} Element: ele-1")
        children = node.children
        for key, value in obj.items():
            if key in skip:
                continue
            child = children.get(key)
            if child is not None:
                if child.kind == "primitive":
                    self.primitive(child, value, obj.get("_" + key), obj, loc, resource, root)
                else:
                    self.complex(child, value, loc, resource, root)
                continue
            if key.startswith("_"):
                base = children.get(key[1:])
                if base is not None and base.kind == "primitive":
                    if not base.no_extension:
                        if key[1:] not in obj:
                            self.primitive(base, None, value, obj, loc, resource, root)
                        continue
                    if isinstance(value, dict) and value.keys() == {"fhir_comments"}:
                        if key[1:] not in obj:  # else reported with its value (`_id` beside `id`)
                            self.comments(f"{loc}.{key[1:]}")
                        continue  # `_id` with only comments: nothing but comments
            if key == "fhir_comments":
                self.comments(loc)
                continue
            self.add(ERROR, "structure.unknown-element", f"{loc}.{key}",
                     f"{key!r} is not an element of {node.path}", f"{self.label} {node.path}: defined elements")
        for name, (min_, keys) in node.groups.items():
            if name in skip:
                continue
            present = [k for k in keys if k in obj or "_" + k in obj]
            if len(present) > 1:
                self.add(ERROR, "structure.choice-type", f"{loc}.{name}",
                         f"only one of {', '.join(present)} may be present",
                         f"{self.label} {node.path}.{name}[x]: one type only")
            elif not present and min_ > 0:
                child = children[keys[0]]
                self.add(ERROR, "structure.cardinality", f"{loc}.{name}",
                         f"{node.path}.{child.name} is required (min {min_}) but missing",
                         self.req(child, f"cardinality {min_}..{_max(child)}"))
        if node.is_extension:
            self.extension(obj, loc)

    def comments(self, loc: str) -> None:
        """fhir_comments: the DSTU2 JSON convention for XML comments, dropped from the format after
        DSTU2. Not content, so ignored (as HL7's reference validator ignores it), with a warning."""
        self.add(WARNING, "json.fhir-comments", f"{loc}.fhir_comments",
                 "fhir_comments is ignored: it is a DSTU2 convention, not part of FHIR JSON since STU3",
                 f"{self.label} JSON format")

    def complex(self, child: Child, value, loc: str, resource: dict, root: dict) -> None:
        items = self.shape(child, value, loc)
        many = child.many
        for i, item in enumerate(items):
            here = f"{loc}.{child.loc}[{i}]" if many else f"{loc}.{child.loc}"
            if item is None:
                self.add(ERROR, "json.null", here, "null is only allowed in primitive arrays",
                         f"{self.label} JSON format: null values")
                continue
            if not isinstance(item, dict):
                self.add(ERROR, "structure.json-kind", here,
                         f"{child.path} ({child.type_code}) must be an object, not {kind_of(item)}",
                         self.req(child, f"type {child.type_code}"))
                continue
            if child.kind == "resource":
                if self.split_bundles and child.path == "Bundle.entry.resource":
                    continue
                self.resource(item, here, root, contained=True)
                continue
            node = self.c.child_node(child)
            self.obj(item, node, here, resource, root)
            cons = self.c.item_constraints(child)
            if cons:
                self.pending.append(Pending(cons, item, child.path if child.kind == "backbone" else node.path,
                                            here, resource, root, node))
            if child.binding is not None:
                terminology.check(self, child, item, here)
            if child.targets and child.type_code == "Reference":
                self.reference_target(child, item, here)
            elif child.targets and child.type_code == "CodeableReference" and isinstance(item.get("reference"), dict):
                self.reference_target(child, item["reference"], f"{here}.reference")

    def shape(self, child: Child, value, loc: str) -> list:
        """The items of an element, reporting array/single and cardinality problems."""
        here = f"{loc}.{child.loc}"
        if child.max == 0:
            self.add(ERROR, "structure.cardinality", here, f"{child.path} is prohibited (max 0)",
                     self.req(child, "cardinality 0..0"))
            return value if isinstance(value, list) else [value]
        if child.many:
            if not isinstance(value, list):
                self.add(ERROR, "structure.json-kind", here, f"{child.path} repeats and must be an array",
                         self.req(child, f"cardinality {child.min}..{_max(child)}"))
                return [value]
            if not value:
                self.add(ERROR, "json.empty", here, "empty array", f"{self.label} JSON format: no empty arrays")
                return value
            if child.max is not None and len(value) > child.max:
                self.add(ERROR, "structure.cardinality", here,
                         f"{child.path} allows at most {child.max}, found {len(value)}",
                         self.req(child, f"cardinality {child.min}..{_max(child)}"))
            if len(value) < child.min:
                self.add(ERROR, "structure.cardinality", here,
                         f"{child.path} needs at least {child.min}, found {len(value)}",
                         self.req(child, f"cardinality {child.min}..{_max(child)}"))
            return value
        if isinstance(value, list):
            self.add(ERROR, "structure.json-kind", here,
                     f"{child.path} does not repeat (max {_max(child)}) and must not be an array",
                     self.req(child, f"cardinality {child.min}..{_max(child)}"))
            return value
        return [value]

    # --- primitives ------------------------------------------------------------------------------
    def primitive(self, child: Child, value, ext, parent: dict, loc: str, resource: dict, root: dict) -> None:
        here = f"{loc}.{child.loc}"
        if child.max == 0:
            self.shape(child, value, loc)  # reports the prohibited element
            return
        if child.many:
            values = self.shape(child, value, loc) if value is not None else []
            exts: list = []
            if ext is not None:
                if not isinstance(ext, list):
                    self.add(ERROR, "structure.primitive-extension", f"{here}",
                             f"_{child.key} must be an array like {child.key}", f"{self.label} JSON format")
                    exts = []
                else:
                    exts = ext
                    if value is not None and isinstance(value, list) and len(exts) != len(values):
                        self.add(ERROR, "structure.primitive-extension", here,
                                 f"{child.key} has {len(values)} items but _{child.key} has {len(exts)}",
                                 f"{self.label} JSON format: primitive arrays line up with _element arrays")
            n = max(len(values), len(exts))
            texts = self.number_texts(values)
            for i in range(n):
                v = values[i] if i < len(values) else None
                x = exts[i] if i < len(exts) else None
                if v is None and x is None:
                    self.add(ERROR, "json.null", f"{here}[{i}]",
                             "null is only allowed where the matching _element item has an extension",
                             f"{self.label} JSON format: null values")
                    continue
                self.one_primitive(child, v, x, f"{here}[{i}]", resource, root, texts.get(i) if texts else None)
        else:
            if isinstance(value, list):
                self.shape(child, value, loc)
                return
            if value is None and ext is None:
                self.add(ERROR, "json.null", here, "null is not a value", f"{self.label} JSON format: null values")
                return
            texts = self.number_texts(parent)
            self.one_primitive(child, value, ext, here, resource, root, texts.get(child.key) if texts else None)

    def number_texts(self, container) -> dict | None:
        """{key or index: JSON text} of the numbers in this object or array whose text the parser
        kept (jsonparse.Duplicates.numbers), or None."""
        numbers = getattr(self.dups, "numbers", None)
        return numbers.get(id(container)) if numbers else None

    def one_primitive(self, child: Child, value, ext, here: str, resource: dict, root: dict,
                      text: str | None = None) -> None:
        if isinstance(value, str) and value.startswith("#") and (
                child.type_code in URI_TYPES or child.path == "Reference.reference"):
            self.local_refs.setdefault(id(resource), set()).add(value)
        if child.path == "Reference.reference" and isinstance(value, str) and "?" in value:
            problem = references.conditional_problem(self.defs, value, references.in_transaction(self.bundle, root))
            if problem is not None:
                self.add(ERROR, "reference.conditional", here, problem, f"{self.label} {references.CONDITIONAL_WORDS}")
        if value is not None:
            problem = child.prim.check(value, text)  # type: ignore[union-attr]
            if problem is not None:
                rule, msg = problem
                self.add(ERROR, rule, here, msg, self.req(child, f"type {child.type_code}"))
            elif child.binding is not None:
                terminology.check(self, child, value, here)
        if ext is not None:
            if not isinstance(ext, dict):
                self.add(ERROR, "structure.primitive-extension", here,
                         f"_{child.key} must hold an object with id/extension", f"{self.label} JSON format")
            else:
                if "value" in ext:
                    self.add(ERROR, "structure.unknown-element", f"{here}.value",
                             "'value' is not allowed in _element (the value is the primitive itself)",
                             f"{self.label} JSON format: primitive elements")
                self.obj(ext, self.c.type_node(child.type_code), here, resource, root, skip=("value",))
                if value is None and ext and not ext.get("extension") and not ext.keys() <= {"id"}:
                    self.add(ERROR, "invariant.ele-1", here, "All FHIR elements must have a @value or children",
                             f"{self.label} Element: ele-1")
        if child.constraints:
            self.pending.append(Pending(child.constraints, value, child.path, here, resource, root, None))

    # --- references and extensions ---------------------------------------------------------------
    def reference_target(self, child: Child, item: dict, here: str) -> None:
        problem = reference_target_problem(self.defs, child, item)
        if problem is not None:
            self.add(ERROR, "structure.reference-target", here, problem,
                     self.req(child, f"Reference({' | '.join(child.targets)})"))

    def extension(self, ext: dict, loc: str) -> None:
        url = ext.get("url")
        if not isinstance(url, str) or not url:
            self.add(ERROR, "extension.url", loc, "extension has no url", f"{self.label} Extension.url (1..1)")
            return
        if "://" not in url and not url.startswith("urn:"):
            # relative urls are allowed only for nested (complex-extension) parts
            if not _nested(loc):
                self.add(ERROR, "extension.url", f"{loc}.url", f"extension url {url!r} is not absolute",
                         f"{self.label} extensibility: the url of an extension SHALL be absolute")
            return
        if self.defs.extension(url) is None:
            modifier = loc.rsplit(".", 1)[-1].startswith("modifierExtension")
            self.add(WARNING, "extension.modifier" if modifier else "extension.unknown", loc,
                     f"extension {url} is not defined in {self.label}; its content cannot be checked",
                     f"{self.label} extensibility")


def reference_target_problem(defs, child: Child, item: dict) -> str | None:
    """Why a Reference names a resource type its element does not allow, or None."""
    if "Resource" in child.targets:
        return None
    ref = item.get("reference")
    if "type" not in item and ref.__class__ is str:  # the usual "Type/id": decided without splitting
        head, sep, tail = ref.partition("/")
        if sep and head in child.targets and "/" not in tail and "?" not in tail:
            return None
    rtype = item.get("type") if isinstance(item.get("type"), str) else None
    named = references.named_type(ref) if isinstance(ref, str) else None
    for t in (rtype, named):
        if t and t not in child.targets and defs.kind(t) == "resource":
            return f"{child.path} may reference {', '.join(child.targets)}, not {t}"
    return None


def _nested(loc: str) -> bool:
    return loc.count("xtension[") >= 2


def _max(child: Child) -> str:
    return "*" if child.max is None else str(child.max)


__all__ = ["Walker", "Pending", "Constraint", "ERROR", "WARNING", "INFORMATION"]
