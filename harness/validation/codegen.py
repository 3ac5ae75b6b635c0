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

#: regexes of the definitions with an exact plain-Python equivalent (tests/test_fastpath.py
#: proves each on generated strings); matched in re.ASCII mode, where \S is anything but
#: space, \t, \n, \r, \f and \v
NATIVE_PATTERNS: dict[str, str] = {
    # string: any character but \f and \v
    r"[ \r\n\t\S]+": "'\\x0b' in {v} or '\\x0c' in {v}",
}


#: per primitive type, strings its regex has matched (bounded; the spec is kept so its id is not reused)
_SEEN: dict[int, tuple] = {}
SEEN_MAX = 4096


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


def _value_lines(spec, env: dict) -> list[str]:
    """Lines that raise SLOW unless spec.check(v) would be None (v is the value, never null)."""
    if spec.json == "string":
        lines = [f"if v.__class__ is not str or not v or len(v) > {MAX_STRING}:", "    raise SLOW"]
        native = NATIVE_PATTERNS.get(spec.regex.pattern) if spec.regex is not None else None
        if native is not None:
            lines += [f"if {native.format(v='v')}:", "    raise SLOW"]
        elif spec.regex is not None:
            # values that matched before (systems, codes, units repeat across an export) skip the regex
            env["RX"], env["SEEN"] = spec.regex.fullmatch, _SEEN.setdefault(id(spec), (spec, set()))[1]
            lines += ["if v not in SEEN:", "    if RX(v) is None:", "        raise SLOW",
                      f"    if len(SEEN) < {SEEN_MAX}:", "        SEEN.add(v)"]
        if spec.extra is not None:
            env["EXTRA"] = spec.extra
            lines += ["if EXTRA(v) is not None:", "    raise SLOW"]
        return lines
    if spec.json == "number" and spec.integer and spec.name in INT_RANGES and spec.extra is not None:
        lo, hi = INT_RANGES[spec.name]  # whole numbers: an int (never a bool) in the type's range
        return [f"if v.__class__ is not int or v < {lo} or v > {hi}:", "    raise SLOW"]
    if spec.json == "number" and spec.name == "decimal" and not spec.integer:
        env["isfinite"] = math.isfinite  # decimal: any int, or a finite float (never a bool)
        return ["if v.__class__ is not int and (v.__class__ is not float or not isfinite(v)):", "    raise SLOW"]
    if spec.json == "boolean":
        return ["if v is not True and v is not False:", "    raise SLOW"]
    env["CHECK"] = spec.check
    return ["if v is None or v.__class__ is list or CHECK(v) is not None:", "    raise SLOW"]


def primitive_handler(fp, child: Child, bind, slow: BaseException) -> Callable:
    """A primitive element, one or many, with its '_name' extension object (one value; for an
    array of them the walk lines the two arrays up)."""
    spec = child.prim
    env: dict = {"SLOW": slow, "BIND": bind, "Pending": Pending,
                 "CONS": child.constraints, "PATH": child.path, "SEG": "." + child.loc}
    per_value = _value_lines(spec, env)
    if bind is not None:
        per_value += ["if not BIND(v):", "    raise SLOW"]
    if child.type_code in URI_TYPES or child.path == "Reference.reference":
        per_value += ["if v.__class__ is str and v[:1] == '#':",
                      "    st.local_refs.setdefault(id(res), set()).add(v)"]
    ukey = "_" + child.key
    body = ["def handler(v, o, loc, res, root, st):"]
    if not child.many:
        if not child.no_extension:  # the extension object's elements come before the value's constraints
            _lazy(env, "EXT", lambda: fp.checker(fp.c.type_node(child.type_code)))
            per_value += [f"ext = o.get({ukey!r})", "if ext is not None:",
                          "    if ext.__class__ is not dict or 'value' in ext:", "        raise SLOW",
                          "    EXT(ext, (loc, SEG), res, root, st)"]
        if child.constraints:
            per_value += ["st.pending.append(Pending(CONS, v, PATH, (loc, SEG), res, root, None))"]
        body += ["    " + line for line in per_value]
    else:
        if not child.no_extension:
            body += [f"    if o.get({ukey!r}) is not None:", "        raise SLOW"]
        if child.constraints:
            per_value += ["st.pending.append(Pending(CONS, v, PATH, (loc, SEG, i), res, root, None))"]
        body += ["    values = v", f"    if {_size_test(child)}:", "        raise SLOW",
                 "    for i, v in enumerate(values):"]
        body += ["        " + line for line in per_value]
    return _compile("handler", body, env)


def _size_test(child: Child) -> str:
    """The walk's array findings: not an array, empty, more than max, fewer than min."""
    size = ["values.__class__ is not list", "not values"]
    if child.max is not None:
        size.append(f"len(values) > {child.max}")
    if child.min > 1:
        size.append(f"len(values) < {child.min}")
    return " or ".join(size)


def complex_handler(fp, child: Child, bind, slow: BaseException) -> Callable | None:
    """A complex or backbone element (not a resource), one or many."""
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
    natives = fp.invariants.element_natives(cons) if fp.invariants is not None and cons else None
    if natives is not None:  # every constraint native and about the element alone: evaluated here
        # (a violation sends the resource to the full walk, whose invariant pass reports it)
        calls = []
        for i, (fn, gets_root) in enumerate(natives):
            env[f"N{i}"] = fn
            calls.append(f"N{i}(item, {'root' if gets_root else 'None'})")
        after += [f"if not ({' and '.join(calls)}):", "    raise SLOW"]
    elif cons:
        after += ["Pending_append(Pending(CONS, item, TPATH, here, res, root, NODE))"]
    if bind is not None:
        after += ["if not BIND(item):", "    raise SLOW"]
    if child.targets and child.type_code in ("Reference", "CodeableReference"):
        ref = "item.get('reference')" if child.type_code == "CodeableReference" else "item"
        after += [f"ref = {ref}", "if isinstance(ref, dict) and PROBLEM(DEFS, CHILD, ref) is not None:",
                  "    raise SLOW"]
    body = ["def handler(v, o, loc, res, root, st):"]
    if cons and natives is None:
        body += ["    Pending_append = st.pending.append"]
    if child.many:
        body += ["    values = v", f"    if {_size_test(child)}:", "        raise SLOW",
                 "    for i, item in enumerate(values):",
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
