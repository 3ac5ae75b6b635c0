"""Python source generated from the definitions for the fast path: one specialised function per
element and per object type, compiled once per process.

A generic closure asks at every element whether it is a string, whether it has a binding, whether
it carries constraints; the generated function has those answers written into its code, which
halves the cost of an element. Each function does exactly what the matching closure in fastpath.py
does (the closures stay the reference and handle the rare shapes: primitive arrays, extensions on
primitives, contained resources, prohibited elements), and raises Slow at the first sign of a
finding, so the full structural walk decides every finding.
"""

from __future__ import annotations

from typing import Callable

from harness.validation.compiler import Child, Node
from harness.validation.primitives import INT_RANGES, MAX_STRING
from harness.validation.structure import URI_TYPES, Pending, reference_target_problem

#: regexes of the definitions with an exact plain-Python equivalent (tests/test_fastpath.py
#: proves each on generated strings); matched in re.ASCII mode, where \S is anything but
#: space, \t, \n, \r, \f and \v
NATIVE_PATTERNS: dict[str, str] = {
    # string: any character but \f and \v
    r"[ \r\n\t\S]+": "'\\x0b' in {v} or '\\x0c' in {v}",
}


def _compile(name: str, lines: list[str], env: dict) -> Callable:
    code = compile("\n".join(lines) + "\n", f"<fastpath {name}>", "exec")
    exec(code, env)
    return env[name]


def _lazy(env: dict, name: str, make: Callable[[], Callable]) -> None:
    """env[name] is a stub that compiles the real function on first call and replaces itself, so
    recursive types (Identifier -> Reference -> Identifier) are compiled only as far as used."""
    def stub(*args):
        real = env[name] = make()
        return real(*args)
    env[name] = stub


def primitive_handler(child: Child, general: Callable, bind, slow: BaseException) -> Callable | None:
    """A single-valued primitive element; `general` (the closure) handles the value with its
    '_name' extension object."""
    spec = child.prim
    if spec is None or child.many or child.max == 0:
        return None
    env: dict = {"SLOW": slow, "GENERAL": general, "BIND": bind, "Pending": Pending,
                 "CONS": child.constraints, "PATH": child.path, "SEG": "." + child.loc}
    body = ["def handler(v, o, loc, res, root, st):"]
    if not child.no_extension:
        body += [f"    if {'_' + child.key!r} in o:", "        return GENERAL(v, o, loc, res, root, st)"]
    if spec.json == "string":
        body += [f"    if v.__class__ is not str or not v or len(v) > {MAX_STRING}:", "        raise SLOW"]
        if spec.regex is not None:
            native = NATIVE_PATTERNS.get(spec.regex.pattern)
            env["RX"] = spec.regex.fullmatch
            test = native.format(v="v") if native else "RX(v) is None"
            body += [f"    if {test}:", "        raise SLOW"]
        if spec.extra is not None:
            env["EXTRA"] = spec.extra
            body += ["    if EXTRA(v) is not None:", "        raise SLOW"]
    elif spec.json == "number" and spec.integer and INT_RANGES.get(spec.name) and spec.extra is not None:
        lo, hi = INT_RANGES[spec.name]  # whole numbers: an int (never a bool) in the type's range
        body += [f"    if v.__class__ is not int or v < {lo} or v > {hi}:", "        raise SLOW"]
    elif spec.json == "boolean":
        body += ["    if v is not True and v is not False:", "        raise SLOW"]
    else:
        env["CHECK"] = spec.check
        body += ["    if v is None or v.__class__ is list or CHECK(v) is not None:", "        raise SLOW"]
    if bind is not None:
        body += ["    if not BIND(v):", "        raise SLOW"]
    if child.type_code in URI_TYPES or child.path == "Reference.reference":
        body += ["    if v.__class__ is str and v[:1] == '#':",
                 "        st.local_refs.setdefault(id(res), set()).add(v)"]
    if child.constraints:
        body += ["    st.pending.append(Pending(CONS, v, PATH, (loc, SEG), res, root, None))"]
    return _compile("handler", body, env)


def complex_handler(fp, child: Child, bind, slow: BaseException) -> Callable | None:
    """A complex or backbone element (not a resource), one or many."""
    if child.kind == "resource" or child.max == 0:
        return None
    try:
        node: Node = fp.c.child_node(child)
    except KeyError:  # a type the definitions lack (a primitive's System value): the closure decides
        return None
    cons = fp.c.item_constraints(child)
    env: dict = {"SLOW": slow, "BIND": bind, "Pending": Pending, "CONS": cons, "NODE": node,
                 "TPATH": child.path if child.kind == "backbone" else node.path, "SEG": "." + child.loc,
                 "PROBLEM": reference_target_problem, "DEFS": fp.defs, "CHILD": child}
    _lazy(env, "CHECK", lambda: fp.checker(node))
    after = []
    if cons:
        after += ["Pending_append(Pending(CONS, item, TPATH, here, res, root, NODE))"]
    if bind is not None:
        after += ["if not BIND(item):", "    raise SLOW"]
    if child.targets and child.type_code in ("Reference", "CodeableReference"):
        ref = "item.get('reference')" if child.type_code == "CodeableReference" else "item"
        after += [f"ref = {ref}", "if isinstance(ref, dict) and PROBLEM(DEFS, CHILD, ref) is not None:",
                  "    raise SLOW"]
    body = ["def handler(v, o, loc, res, root, st):"]
    if cons:
        body += ["    Pending_append = st.pending.append"]
    if child.many:
        size = ["v.__class__ is not list", "not v"]
        if child.max is not None:
            size.append(f"len(v) > {child.max}")
        if child.min > 1:
            size.append(f"len(v) < {child.min}")
        body += [f"    if {' or '.join(size)}:", "        raise SLOW",
                 "    for i, item in enumerate(v):",
                 "        if item.__class__ is not dict:", "            raise SLOW",
                 "        here = (loc, SEG, i)",
                 "        CHECK(item, here, res, root, st)"]
        body += ["        " + line for line in after]
    else:
        body += ["    item = v", "    if item.__class__ is not dict:", "        raise SLOW",
                 "    here = (loc, SEG)", "    CHECK(item, here, res, root, st)"]
        body += ["    " + line for line in after]
    return _compile("handler", body, env)


def object_checker(node: Node, handlers: dict[str, Callable], groups: Callable, extension_ok,
                   slow: BaseException) -> Callable:
    """The check of one object: known keys, each element's handler, required elements and choice
    groups (the exact count only when a set operation leaves doubt), the extension's url."""
    required = [keys[0] for m, keys in node.groups.values() if m > 0 and len(keys) == 1]
    choices = [(keys, m) for m, keys in node.groups.values() if len(keys) > 1]
    env: dict = {"SLOW": slow, "H": handlers, "KNOWN": frozenset(handlers), "GROUPS": groups,
                 "EXT_OK": extension_ok,
                 "CHOICE_KEYS": frozenset(k2 for keys, _ in choices for k in keys for k2 in (k, "_" + k))}
    empty = "not o" if node.is_resource else "not o or (len(o) == 1 and 'id' in o)"
    body = ["def check(o, loc, res, root, st):",
            f"    if not o.keys() <= KNOWN or {empty}:", "        raise SLOW",
            "    for k, v in o.items():", "        H[k](v, o, loc, res, root, st)"]
    for k in required:
        body += [f"    if {k!r} not in o and {'_' + k!r} not in o:", "        raise SLOW"]
    if any(m > 0 for _, m in choices):
        body += ["    GROUPS(o)"]  # a required choice: the exact count, group by group
    elif choices:
        body += ["    if len(CHOICE_KEYS.intersection(o)) > 1:", "        GROUPS(o)"]
    if extension_ok is not None:
        body += ["    if not EXT_OK(o):", "        raise SLOW"]
    return _compile("check", body, env)
