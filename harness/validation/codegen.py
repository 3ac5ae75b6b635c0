# imaging-harness: compiled
"""Python source generated from the definitions for the fast path: one specialised function per
element and per object type, compiled once per process.

A generic closure asks at every element whether it is a string, whether it has a binding, whether
it carries constraints; the generated function has those answers written into its code, which
halves the cost of an element. fastpath.py keeps what is not generated: resources inside resources
and prohibited elements. Every function raises Slow at the first sign of a finding, so the full
structural walk decides every finding.
"""

from __future__ import annotations

import math
from typing import Callable

from harness.validation.compiler import Child, Node
from harness.validation.primitives import INT_RANGES, MAX_STRING
from harness.validation.structure import URI_TYPES, Pending, reference_target_problem

#: regexes of the definitions with an exact plain-Python equivalent (tests/validation/test_fastpath.py
#: proves each on generated strings); matched in re.ASCII mode, where \S is anything but
#: space, \t, \n, \r, \f and \v
NATIVE_PATTERNS: dict[str, str] = {
    # string: any character but \f and \v
    r"[ \r\n\t\S]+": "'\\x0b' in {v} or '\\x0c' in {v}",
    # string (R5): every non-empty string matches ([\s\S]+ takes all of it, $ its end)
    r"^[\s\S]+$": "False",
}


try:  # True in the compiled build only (setup.py): Cython answers it when compiling
    import cython
    _COMPILED = cython.compiled
except ImportError:  # pragma: no cover - the source without Cython installed
    _COMPILED = False


def id_fails(v: str) -> bool:
    r"""re.fullmatch(r"[A-Za-z0-9\-\.]{1,64}", v, re.ASCII) is None for a str v, a character at a
    time (codegen.pxd makes it a C loop)."""
    if not v or len(v) > 64:
        return True
    for ch in v:
        if not ("a" <= ch <= "z" or "A" <= ch <= "Z" or "0" <= ch <= "9" or ch == "-" or ch == "."):
            return True
    return False


#: regexes with a function that is True exactly where the regex fails (tests/validation/test_fastpath.py
#: proves each on generated strings). The compiled build calls it in place of the regex and of the
#: memory of matched values, as it is faster than both for the values that do not repeat (an id,
#: a UID); from source the regex is faster, so it stays.
SCANS: dict[str, Callable[[str], bool]] = {r"[A-Za-z0-9\-\.]{1,64}": id_fails}
_SCANS_USED = SCANS if _COMPILED else {}

#: an int decimal this large or larger (in magnitude) is left to the walk, which checks its text
#: against the version's decimal regex (R5: at most 18 digits before the point)
DECIMAL_INT_LIMIT = 10**17

#: per primitive type, strings its regex has matched (bounded; the spec is kept so its id is not reused)
_SEEN: dict[int, tuple] = {}
SEEN_MAX = 4096


class Emitter:
    """The globals of one generated function: every constant a line needs is bound under a name
    of its own, so the lines of several elements can share one function (the object checks)."""

    def __init__(self, slow: type[BaseException]):
        self.env: dict = {"SLOW": slow, "Pending": Pending}
        self._n = 0

    def bind(self, value, hint: str) -> str:
        self._n += 1
        name = f"{hint}{self._n}"
        self.env[name] = value
        return name

    def lazy(self, make: Callable[[], Callable], hint: str) -> str:
        """A name for a function compiled on its first call, so recursive types (Identifier ->
        Reference -> Identifier) are compiled only as far as used."""
        self._n += 1
        name = f"{hint}{self._n}"
        env = self.env

        def stub(*args):
            real = env[name] = make()
            return real(*args)
        env[name] = stub
        return name

    def compile(self, name: str, lines: list[str]) -> Callable:
        """The function the lines define, with these globals. It is defined in a namespace of its
        own, so threads compiling into the same globals (object shapes) cannot swap functions."""
        code = compile("\n".join(lines) + "\n", f"<fastpath {name}>", "exec")
        defined: dict = {}
        exec(code, self.env, defined)
        return defined[name]


def _value_lines(spec, em: Emitter) -> list[str]:
    """Lines that raise SLOW unless spec.check(v) would be None (v is the value, never null)."""
    if spec.json == "string":
        lines = ["if v.__class__ is not str:", "    raise SLOW"]
        native = NATIVE_PATTERNS.get(spec.regex.pattern) if spec.regex is not None else None
        scan = _SCANS_USED.get(spec.regex.pattern) if spec.regex is not None else None
        if native is not None:
            lines += [f"if not v or len(v) > {MAX_STRING} or {native.format(v='v')}:", "    raise SLOW"]
        elif scan is not None:
            lines += [f"if not v or len(v) > {MAX_STRING} or {em.bind(scan, 'SCAN')}(v):", "    raise SLOW"]
        elif spec.regex is not None:
            # values that matched before (systems, codes, units repeat across an export) skip the
            # regex and the length test (a remembered value passed both)
            rx = em.bind(spec.regex.fullmatch, "RX")
            seen = em.bind(_SEEN.setdefault(id(spec), (spec, set()))[1], "SEEN")
            lines += [f"if v not in {seen}:", f"    if not v or len(v) > {MAX_STRING} or {rx}(v) is None:",
                      "        raise SLOW", f"    if len({seen}) < {SEEN_MAX}:", f"        {seen}.add(v)"]
        else:
            lines += [f"if not v or len(v) > {MAX_STRING}:", "    raise SLOW"]
        if spec.extra is not None:
            lines += [f"if {em.bind(spec.extra, 'EXTRA')}(v) is not None:", "    raise SLOW"]
        return lines
    if spec.json == "number" and spec.integer and spec.name in INT_RANGES and spec.extra is not None:
        lo, hi = INT_RANGES[spec.name]  # whole numbers: an int (never a bool) in the type's range
        return [f"if v.__class__ is not int or v < {lo} or v > {hi}:", "    raise SLOW"]
    if spec.json == "number" and spec.name == "decimal" and not spec.integer:
        # decimal: an int of fewer than 18 digits (a longer one's text may fail the version's regex:
        # the walk decides), or a finite float (never a bool); a float whose text the parser kept
        # never gets here (the document is walked)
        fin = em.bind(math.isfinite, "isfinite")
        return [f"if (v.__class__ is not int or v >= {DECIMAL_INT_LIMIT} or v <= -{DECIMAL_INT_LIMIT}) and "
                f"(v.__class__ is not float or not {fin}(v)):", "    raise SLOW"]
    if spec.json == "boolean":
        return ["if v is not True and v is not False:", "    raise SLOW"]
    return [f"if v is None or v.__class__ is list or {em.bind(spec.check, 'CHECK')}(v) is not None:",
            "    raise SLOW"]


def primitive_lines(fp, child: Child, bind, em: Emitter, plain: bool) -> list[str]:
    """Lines checking a primitive element's value v, one or many, with its '_name' extension
    object from o (one value; for an array of them the walk lines the two arrays up). plain: o is
    known to have no '_name' key."""
    per_value = _value_lines(child.prim, em)
    if bind is not None:
        per_value += binding_lines(bind, child.type_code, "v", em)
    if child.type_code in URI_TYPES or child.path == "Reference.reference":
        per_value += ["if v.__class__ is str and v[:1] == '#':",
                      "    st.local_refs.setdefault(id(res), set()).add(v)"]
    if child.path == "Reference.reference":  # a conditional reference ('Type?query'): the walk judges it
        per_value += ["if v.__class__ is str and '?' in v:", "    raise SLOW"]
    ukey, body = "_" + child.key, []
    if child.constraints:
        cons, path, seg = em.bind(child.constraints, "CONS"), em.bind(child.path, "PATH"), em.bind("." + child.loc, "SEG")
    if not child.many:
        if not child.no_extension and not plain:  # its extension object comes before the value's constraints
            ext = em.lazy(lambda: fp.checker(fp.c.type_node(child.type_code)), "EXT")
            per_value += [f"ext = o.get({ukey!r})", "if ext is not None:",
                          "    if ext.__class__ is not dict or 'value' in ext:", "        raise SLOW",
                          f"    {ext}(ext, (loc, {em.bind('.' + child.loc, 'SEG')}), res, root, st)"]
        if child.constraints:
            per_value += [f"st.pending.append(Pending({cons}, v, {path}, (loc, {seg}), res, root, None))"]
        return per_value
    if not child.no_extension and not plain:
        body += [f"if o.get({ukey!r}) is not None:", "    raise SLOW"]
    if child.constraints:
        per_value += [f"st.pending.append(Pending({cons}, v, {path}, (loc, {seg}, i), res, root, None))"]
    if _COMPILED and bind is None and not child.constraints and _is_decimal(child.prim):
        # an array of decimals with nothing else to check (coordinates): per_value is the decimal
        # lines of _value_lines alone, run as one C loop
        return body + ["values = v", f"if {_size_test(child)} or {em.bind(decimals_fail, 'DECIMALS')}(values):",
                       "    raise SLOW"]
    body += ["values = v", f"if {_size_test(child)}:", "    raise SLOW", "for i, v in enumerate(values):"]
    return body + ["    " + line for line in per_value]


def _is_decimal(spec) -> bool:
    """Whether _value_lines gives spec the decimal lines (and the caller adds nothing for its type)."""
    return spec.json == "number" and spec.name == "decimal" and not spec.integer


def decimals_fail(values: list) -> bool:
    """True unless every item passes the decimal lines of _value_lines: an int (never a bool) below
    DECIMAL_INT_LIMIT in magnitude or a finite float (codegen.pxd makes it a C loop)."""
    for v in values:
        if type(v) is float:
            f = v
            if f - f != 0.0:  # inf - inf and nan - nan are nan, which equals nothing
                return True
        elif type(v) is not int or v >= DECIMAL_INT_LIMIT or v <= -DECIMAL_INT_LIMIT:
            return True
    return False


def primitive_handler(fp, child: Child, bind, slow: type[BaseException]) -> Callable:
    em = Emitter(slow)
    lines = primitive_lines(fp, child, bind, em, plain=False)
    return em.compile("handler", ["def handler(v, o, loc, res, root, st):"] + ["    " + line for line in lines])


def binding_lines(bind, type_code: str, var: str, em: Emitter) -> list[str]:
    """Lines that raise SLOW unless the binding predicate holds for var. A value set of codes
    alone (no grammar) is tested in place, exactly as terminology.in_value_set decides: a code by
    membership, a Coding or Quantity by its (system, code) pair, a CodeableConcept by any of its
    codings; CodeableReference by its concept. Otherwise the predicate is called."""
    exp = getattr(bind, "expansion", None)
    if exp is None or exp.grammars:
        return [f"if not {em.bind(bind, 'BIND')}({var}):", "    raise SLOW"]
    codes, pairs = em.bind(frozenset(exp.codes), "CODES"), em.bind(frozenset(exp.pairs), "PAIRS")
    pair = f"s.__class__ is str and k.__class__ is str and (s, k) in {pairs}"
    if type_code not in ("CodeableConcept", "Coding", "Quantity", "CodeableReference"):
        # in_value_set checks a str only (anything else is the walk's), by membership; a str
        # subclass goes to the walk
        return [f"if isinstance({var}, str) and ({var}.__class__ is not str or {var} not in {codes}):",
                "    raise SLOW"]
    if type_code in ("Coding", "Quantity"):
        lines = [f"if {var}.__class__ is not dict:", "    raise SLOW",
                 f"s = {var}.get('system')", f"k = {var}.get('code')"]
        test = f"not ({pair})"
        if type_code == "Quantity":  # a Quantity without a code is not checked
            test = f"k is not None and {test}"
        return lines + [f"if {test}:", "    raise SLOW"]
    lines, cc, pad = [f"if {var}.__class__ is not dict:", "    raise SLOW"], var, ""
    if type_code == "CodeableReference":  # checked on its concept, when there is one
        lines += [f"cc = {var}.get('concept')", "if cc is not None:",
                  "    if cc.__class__ is not dict:", "        raise SLOW"]
        cc, pad = "cc", "    "
    return lines + [pad + line for line in (
        f"cs = {cc}.get('coding')",
        "for c in (cs if cs.__class__ is list else ()):",
        "    if c.__class__ is dict:",
        "        s = c.get('system')", "        k = c.get('code')",
        f"        if {pair}:", "            break",
        "else:", "    raise SLOW")]


def _size_test(child: Child) -> str:
    """The walk's array findings: not an array, empty, more than max, fewer than min."""
    size = ["values.__class__ is not list", "not values"]
    if child.max is not None:
        size.append(f"len(values) > {child.max}")
    if child.min > 1:
        size.append(f"len(values) < {child.min}")
    return " or ".join(size)


def complex_lines(fp, child: Child, bind, em: Emitter) -> list[str] | None:
    """Lines checking a complex or backbone element's value v (not a resource), one or many; None
    for a type the definitions lack (a primitive's System value: the caller leaves it to the walk)."""
    try:
        node: Node = fp.c.child_node(child)
    except KeyError:
        return None
    cons = fp.c.item_constraints(child)
    # the child object's shape dispatch written in place (its checker is made on first use)
    shapes = em.bind(fp.shapes_of(node), "SHAPES")
    shape_for = em.lazy(lambda: fp.checker(node).shape_for, "SHAPE_FOR")
    check = f"({shapes}.get(tuple(item)) or {shape_for}(item))"
    seg = em.bind("." + child.loc, "SEG")
    after = []
    natives = fp.invariants.element_natives(cons) if fp.invariants is not None and cons else None
    if natives is not None:  # every constraint native and about the element alone: evaluated here
        # (a violation sends the resource to the full walk, whose invariant pass reports it)
        calls = []
        for fn, gets_root in natives:
            inline = getattr(fn, "inline", None)  # the native's own source, written in place
            calls.append(f"({inline.format(v='item')})" if inline is not None
                         else f"{em.bind(fn, 'N')}(item, {'root' if gets_root else 'None'})")
        after += [f"if not ({' and '.join(calls)}):", "    raise SLOW"]
    elif cons:
        tpath = child.path if child.kind == "backbone" else node.path
        after += [f"st.pending.append(Pending({em.bind(cons, 'CONS')}, item, {em.bind(tpath, 'TPATH')}, here, "
                  f"res, root, {em.bind(node, 'NODE')}))"]
    if bind is not None:
        after += binding_lines(bind, child.type_code, "item", em)
    if child.targets and "Resource" not in child.targets and child.type_code in ("Reference", "CodeableReference"):
        # the usual "Type/id" reference to an allowed type is decided here; anything else by PROBLEM
        targets = em.bind(frozenset(child.targets), "TARGETS")
        problem = f"{em.bind(reference_target_problem, 'PROBLEM')}({em.bind(fp.defs, 'DEFS')}, " \
                  f"{em.bind(child, 'CHILD')}, ref) is not None"
        ref = "item.get('reference')" if child.type_code == "CodeableReference" else "item"
        after += [f"ref = {ref}", "if ref.__class__ is dict:",
                  "    r = ref.get('reference')",
                  f"    if ('type' in ref or r.__class__ is not str or (h := r.partition('/'))[0] not in {targets}"
                  " or not h[1] or '/' in h[2] or '?' in h[2]):",
                  f"        if {problem}:", "            raise SLOW",
                  f"elif isinstance(ref, dict) and {problem}:", "    raise SLOW"]
    if child.many:
        body = ["values = v", f"if {_size_test(child)}:", "    raise SLOW",
                "for i, item in enumerate(values):",
                "    if item.__class__ is not dict:", "        raise SLOW",
                f"    here = (loc, {seg}, i)", f"    {check}(item, here, res, root, st)"]
        body += ["    " + line for line in after]
    else:
        body = ["item = v", "if item.__class__ is not dict:", "    raise SLOW",
                f"here = (loc, {seg})", f"{check}(item, here, res, root, st)"] + after
    return body


def complex_handler(fp, child: Child, bind, slow: type[BaseException]) -> Callable | None:
    em = Emitter(slow)
    lines = complex_lines(fp, child, bind, em)
    if lines is None:
        return None
    return em.compile("handler", ["def handler(v, o, loc, res, root, st):"] + ["    " + line for line in lines])


#: object shapes (key sequences) given a function of their own, per object type; past this many,
#: an object of a new shape takes the loop (an export has a handful of shapes per type)
SHAPES_MAX = 256


def object_checker(node: Node, handlers: dict[str, Callable], inline: dict[str, list[str] | None],
                   em: Emitter, groups: Callable, extension_ok, shapes: dict[tuple, Callable]) -> Callable:
    """The check of one object: known keys, each element, required elements and choice groups
    (the exact count only when a set operation leaves doubt), the extension's url.

    The loop calls each key's handler in document order. Each shape of object (its keys in their
    order) without a '_name' key gets a function of its own, made on first sight: the elements'
    lines (inline[key]; None: a call of its handler) written in place in that same order, and the
    tests on which keys are present decided when the function is made. shapes: the node's table
    of those functions (FastPath.shapes_of), which parents read directly."""
    required = [keys[0] for m, keys in node.groups.values() if m > 0 and len(keys) == 1]
    choices = [(keys, m) for m, keys in node.groups.values() if len(keys) > 1]
    env = em.env
    env.update({"H": handlers, "KNOWN": frozenset(handlers), "GROUPS": groups, "EXT_OK": extension_ok,
                "CHOICE_KEYS": frozenset(k2 for keys, _ in choices for k in keys for k2 in (k, "_" + k))})
    empty = "not o" if node.is_resource else "not o or (len(o) == 1 and 'id' in o)"
    tail = []
    for k in required:
        tail += [f"if {k!r} not in o and {'_' + k!r} not in o:", "    raise SLOW"]
    if any(m > 0 for _, m in choices):
        tail += ["GROUPS(o)"]  # a required choice: the exact count, group by group
    elif choices:
        tail += ["if len(CHOICE_KEYS.intersection(o)) > 1:", "    GROUPS(o)"]
    if extension_ok is not None:
        tail += ["if not EXT_OK(o):", "    raise SLOW"]
    loop = em.compile("loop", ["def loop(o, loc, res, root, st):",
                               f"    if not o.keys() <= KNOWN or {empty}:", "        raise SLOW",
                               "    for k, v in o.items():", "        H[k](v, o, loc, res, root, st)"]
                      + ["    " + line for line in tail])
    plain = frozenset(k for k in handlers if not (k.startswith("_") and k[1:] in handlers))

    def shape(keys: tuple) -> list[str]:
        """The lines of the function for objects with exactly these keys, in this order."""
        present = set(keys)
        if not keys or (not node.is_resource and present == {"id"}):
            return ["raise SLOW"]  # empty, or only an id
        if any(k not in present for k in required) or any(
                len(present.intersection(ks)) > 1 or (m > 0 and not present.intersection(ks)) for ks, m in choices):
            return ["raise SLOW"]  # a required element missing, or a choice taken twice or not at all
        lines = []
        for key in keys:
            if key == "resourceType" and node.is_resource:
                continue
            lines += [f"v = o[{key!r}]"] + (inline[key] or [f"H[{key!r}](v, o, loc, res, root, st)"])
        if extension_ok is not None:
            lines += ["if not EXT_OK(o):", "    raise SLOW"]
        return lines

    def shape_for(o: dict) -> Callable:
        keys = tuple(o)
        if len(shapes) >= SHAPES_MAX:
            return loop
        if not plain.issuperset(keys):
            fn = loop  # an unknown key (the loop gives up) or a '_name' extension object
        else:
            fn = em.compile("shape", ["def shape(o, loc, res, root, st):"] + ["    " + line for line in shape(keys)]
                            + ["    return None"])
        shapes[keys] = fn
        return fn
    env["SHAPES"], env["SHAPE_FOR"] = shapes, shape_for
    check = em.compile("check", ["def check(o, loc, res, root, st):",
                                 "    (SHAPES.get(tuple(o)) or SHAPE_FOR(o))(o, loc, res, root, st)"])
    check.shape_for = shape_for  # for parents that write the dispatch in place
    return check
