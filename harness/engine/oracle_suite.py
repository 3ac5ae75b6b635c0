"""The search-oracle suite: cases generated at run time from the version's SearchParameters and the
dataset as the server stored it, each checked against the oracle's exact expected set (issue #6).

After the dataset is loaded, every loaded resource is read back (the server's ids, references and
meta), the oracle chooses queries from those values (harness.search.queries) and computes each
expected result; every query becomes an ordinary Case, so planning (skips for parameters the server
does not claim), running, paging and all reports work as for the hand-written suites.
"""

from __future__ import annotations

from harness import definitions
from harness.engine import fixtures as fx
from harness.engine.capabilities import Capabilities
from harness.engine.http import Client
from harness.engine.model import Assertion, Case, Request, Requirement, Requires, Step
from harness.search import Expectation, Oracle, generate
from harness.search.params import params_for

SUITE = "search-oracle"
TYPES = ("ImagingStudy", "ImagingSelection")


class OracleCheck:
    """The value of a searchOracle assertion: what to compare and how to explain a difference."""

    def __init__(self, rtype: str, expectation: Expectation, oracle: Oracle, query: list[tuple[str, str]],
                 extra: dict | None = None):
        self.rtype, self.expectation, self.oracle, self.query = rtype, expectation, oracle, query
        self.extra = extra or {}  # include / revinclude / count / sort / paging checks

    def __repr__(self) -> str:  # shown in transcripts
        return f"oracle({self.rtype}: {len(self.expectation.must)} must, {len(self.expectation.may)} may)"

    def judge(self, body) -> tuple[bool, str]:
        if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
            return False, "the search did not answer with a Bundle"
        if "count" in self.extra:
            problem = self._extra(body, {})
            return problem is None, f"{self.sent()}: {problem}" if problem else f"Bundle.total is {body.get('total')}, as expected"
        returned: dict[str, dict] = {}
        for e in body.get("entry") or []:
            r = e.get("resource") if isinstance(e, dict) else None
            mode = (e.get("search") or {}).get("mode") if isinstance(e.get("search"), dict) else None
            if isinstance(r, dict) and r.get("resourceType") == self.rtype and mode in (None, "match"):
                returned[str(r.get("id"))] = r
        ids = [str(r.get("id")) for e in body.get("entry") or [] if isinstance(e, dict)
               for r in [e.get("resource")] if isinstance(r, dict) and r.get("resourceType") == self.rtype]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            return False, f"{self.rtype} returned more than once (paging duplicates?): {', '.join(dup)}"
        extra_problem = self._extra(body, returned)
        if extra_problem:
            return False, f"{self.sent()}: {extra_problem}"
        ours = {r["id"] for r in self.oracle.of_type(self.rtype)}
        foreign = {i: r for i, r in returned.items() if i not in ours}
        wrong_foreign = self._foreign(foreign) if foreign else []
        status, missing, unexpected = self.expectation.verdict(set(returned) & ours)
        if status == "erratum":
            return True, (f"passed (erratum {self.expectation.erratum}): the server follows the published "
                          f"expression (a documented spec error), not the corrected one; {len(returned)} "
                          f"returned for {self.sent()}")
        if status == "pass" and not wrong_foreign:
            note = f", {len(self.expectation.may)} depending on the server's time zone" if self.expectation.may else ""
            return True, f"{len(set(returned) & ours)} of this run's resources returned, as expected{note}"
        parts = []
        if missing:
            paged = ("not reached by following the next links (a page without a next link?): "
                     if self.extra.get("paging") else "")
            parts.append(f"expected but missing: {paged}" + "; ".join(self._explain(i) for i in sorted(missing)))
        if unexpected:
            parts.append("returned but not expected: " + "; ".join(self._explain(i) for i in sorted(unexpected)))
        if wrong_foreign:
            parts.append("returned resources from outside this run that do not match: " + ", ".join(wrong_foreign))
        return False, f"{self.sent()}: " + " | ".join(parts)

    def sent(self) -> str:
        """The query as sent (its parameters; the console and reports show it with every failure)."""
        return f"{self.rtype}?" + "&".join(f"{k}={v}" for k, v in self.query)

    def _foreign(self, foreign: dict[str, dict]) -> list[str]:
        """Ids of resources from outside this run that the query cannot match. Data already on the server
        is judged by the same query and never causes a false failure: a match that depends on the
        server's time zone is allowed, and so is one decided by a resource the oracle does not hold
        (a chain through a reference to data outside the run)."""
        judge = Oracle(self.oracle.version, self.oracle.resources + list(foreign.values()), self.oracle.base_url)
        expected = judge.expected(self.rtype, self.query)
        allowed = expected.must | expected.may
        if expected.published is not None:  # the erratum: either expression's result is judged as above
            allowed |= expected.published
        held = set(judge._pool.by_key)
        chained = [k.split(".")[0].split(":")[0] for k, _ in self.query if "." in k]
        out = []
        for i, r in foreign.items():
            if i in allowed:
                continue
            if chained and any(key not in held for name in chained for key in self._refs(judge, r, name)):
                continue  # matched through a resource outside the run: not ours to judge
            out.append(i)
        return sorted(out)

    def _refs(self, judge: Oracle, resource: dict, name: str) -> list[tuple[str, str]]:
        from harness.validation.references import type_and_id
        return [k for v in judge.values(resource, judge.param(self.rtype, name)) if isinstance(v, dict)
                for k in [type_and_id(v.get("reference") or "")] if k]

    def _extra(self, body: dict, returned: dict[str, dict]) -> str | None:
        """The include / revinclude / count / sort parts of the check; None when they hold."""
        x, must = self.extra, self.expectation.must
        if "count" in x:
            total = body.get("total")
            return None if total == len(must) else f"_summary=count: total is {total!r}, expected {len(must)}"
        if "include" in x or "revinclude" in x:
            spec = x.get("include") or x.get("revinclude")
            want = (self.oracle.included(self.rtype, must, spec) if "include" in x
                    else self.oracle.revincluded(self.rtype, must, spec))
            got = {(r.get("resourceType"), str(r.get("id"))) for e in body.get("entry") or [] if isinstance(e, dict)
                   for r in [e.get("resource")] if isinstance(r, dict) and _included(e, r, self.rtype)}
            missing = sorted(f"{t}/{i}" for t, i in want - got)
            return None if not missing else f"{'_include' if 'include' in x else '_revinclude'}={spec}: missing {', '.join(missing)}"
        if "sort" in x:
            name, desc = x["sort"]
            keys = [self.oracle.sort_key(self.rtype, r, name, desc) for r in returned.values()]
            keyed = [k for k in keys if k is not None]
            if keyed != sorted(keyed, reverse=desc):
                order = ", ".join(f"{i} ({'-' if k is None else k.isoformat()})" for i, k in zip(returned, keys))
                return f"_sort={'-' if desc else ''}{name}: returned order {order} is not sorted by {name}"
        return None

    def _explain(self, rid: str) -> str:
        vals = self.expectation.values.get(rid, {})
        shown = ", ".join(f"{k}={_short(v)}" for k, v in vals.items() if not k.startswith(("_tag", "_id")))
        return f"{self.rtype}/{rid}" + (f" ({shown})" if shown else "")


def _included(entry: dict, resource: dict, rtype: str) -> bool:
    """An included entry: search.mode include, or no mode (0..1) on an entry that cannot be a match
    because it is not of the searched type."""
    mode = (entry.get("search") or {}).get("mode") if isinstance(entry.get("search"), dict) else None
    return mode == "include" or (mode is None and resource.get("resourceType") != rtype)


def _short(v) -> str:
    s = repr(v)
    return s if len(s) <= 160 else s[:157] + "..."


def read_back(client: Client, loaded: fx.Loaded) -> list[dict]:
    """The dataset as the server stored it (server ids, rewritten references, meta)."""
    return [r for r in map(client.read, loaded.refs.values()) if r is not None]


def cases(client: Client, loaded: fx.Loaded, caps: Capabilities, version: str, run_id: str) -> list[Case]:
    resources = read_back(client, loaded)
    oracle = Oracle(version, resources, client.base)
    label = definitions.LABELS.get(version, version)
    out = []
    for rtype in TYPES:
        claimed = caps.resources.get(rtype)
        if claimed is None or not any(r.get("resourceType") == rtype for r in resources):
            continue
        scope = (("_tag", f"{fx.TAG_SYSTEM}|{run_id}"),) if "_tag" in claimed["searchParams"] else ()
        modifiers = {k: set(v) for k, v in claimed.get("modifiers", {}).items()}
        params = params_for(version, rtype)
        for q, expectation in generate(oracle, rtype, scope, modifiers):
            p = params[q.param]
            erratum = f" Erratum {p.erratum}: published expression {p.published}." if p.erratum else ""
            check = OracleCheck(rtype, expectation, oracle, list(q.params))
            out.append(Case(
                id=f"{SUITE}.{rtype}.{q.param}.{q.form}", suite=SUITE, title=f"{rtype}?{q.text}",
                description=(f"Search {rtype} by {q.param} ({q.form}); the expected set is computed from the "
                             f"parameter's expression over this run's dataset as stored on the server."),
                requirement=Requirement(label, f"SearchParameter {p.code} ({p.url}); search.html#{p.type}",
                                        f"expression {p.expression}, matched with the {p.type} rules of "
                                        f"FHIR search.{erratum}"),
                tags=("search", "oracle", rtype.lower()), versions=(version,),
                requires=Requires(resource=rtype, interactions=("search-type",),
                                  searchParams=tuple(sorted({q.param} | {k.split(":")[0].split(".")[0] for k, _ in scope})),
                                  chains=tuple(k for k, _ in q.params if "." in k), unclaimed="strict"),
                fixtures=(), vars=(),
                steps=(Step("search", Request("GET", rtype, query=tuple(q.params), followNext=True),
                            asserts=(Assertion("searchOracle", check),)),),
                cleanup=(), file="harness/search/queries.py", line=1))
        out += _structural(oracle, rtype, scope, claimed, label, version)
        out += _post_search(out, rtype, label, version)
    return out


def _post_search(generated: list[Case], rtype: str, label: str, version: str) -> list[Case]:
    """POST [type]/_search with a form body gives the same result as the GET (a few queries that
    match something, each in both forms)."""
    from urllib.parse import urlencode

    out = []
    candidates = [c for c in generated if c.id.startswith(f"{SUITE}.{rtype}.") and c.steps[0].request.method == "GET"
                  and c.steps[0].asserts[0].value.expectation.must and not c.steps[0].asserts[0].value.extra
                  and _encodable(c.steps[0].request.query)]
    picks, params = [], set()
    for c in sorted(candidates, key=lambda c: c.id.split(".")[2].startswith("_")):  # real parameters first
        if c.id.split(".")[2] not in params and len(picks) < 3:
            picks.append(c)
            params.add(c.id.split(".")[2])
    for c in picks:
        req = c.steps[0].request
        check = c.steps[0].asserts[0].value
        out.append(Case(
            id=f"{c.id}.post", suite=SUITE, title=f"POST {rtype}/_search {check.query}",
            description="POST _search with the parameters as a form body returns what the GET returns.",
            requirement=Requirement(label, "search.html#searchpost", "'Search by POST … the parameters are "
                                    "provided in the body, application/x-www-form-urlencoded' and give the same "
                                    "results as GET"),
            tags=c.tags + ("post",), versions=c.versions, requires=c.requires, fixtures=(), vars=(),
            steps=(Step("search by POST", Request("POST", f"{rtype}/_search", query=(),
                                                  headers=(("Content-Type", "application/x-www-form-urlencoded"),),
                                                  body=urlencode(list(req.query)), followNext=True),
                        asserts=(Assertion("searchOracle", check),)),),
            cleanup=(), file=c.file, line=c.line))
    return out


def _encodable(query) -> bool:
    """Whether the query's values (taken from the server's data) can be sent at all: a lone surrogate
    is valid JSON text but has no UTF-8 form. (The GET case of such a query errors, saying so.)"""
    try:
        "".join(f"{k}{v}" for k, v in query).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


INCLUDES = {"ImagingStudy": [("include", "ImagingStudy:subject"), ("include", "ImagingStudy:endpoint"),
                             ("revinclude", "ImagingSelection:derived-from")],
            "ImagingSelection": [("include", "ImagingSelection:derived-from"), ("include", "ImagingSelection:subject")]}
SORT_BY = {"ImagingStudy": "started", "ImagingSelection": "issued"}


def _structural(oracle: Oracle, rtype: str, scope: tuple, claimed: dict, label: str, version: str) -> list[Case]:
    """Searches over all of this run's resources of the type: paging, count, sort, include, revinclude."""
    if not scope and "_id" in claimed["searchParams"]:  # no _tag: this run's resources by id, so that
        scope = (("_id", ",".join(sorted(r["id"] for r in oracle.of_type(rtype)))),)  # pages stay few
    base = list(scope)
    everything = oracle.expected(rtype, base)
    specs = [("paging", "_count=1, every next link followed: the same set, no duplicate",
              base + [("_count", "1")], {"paging": True}, "search.html#count: '_count … the number of results per page'"),
             ("count", "_summary=count: Bundle.total is the number of matches", base + [("_summary", "count")],
              {"count": True}, "search.html#summary: '_summary=count … return only the count, not the resources'")]
    if SORT_BY.get(rtype) in claimed["searchParams"]:
        for desc in (False, True):
            name = SORT_BY[rtype]
            specs.append((f"sort{'-desc' if desc else ''}", f"_sort={'-' if desc else ''}{name}",
                          base + [("_sort", ("-" if desc else "") + name)], {"sort": (name, desc)},
                          "search.html#sort: '_sort … the order … a - prefix for descending'"))
    for kind, spec in INCLUDES.get(rtype, []):
        source, name = spec.split(":")
        if name not in params_for(version, source):
            continue  # e.g. no ImagingSelection in R4
        specs.append((f"{kind}.{spec.split(':')[1]}", f"_{kind}={spec}", base + [(f"_{kind}", spec)], {kind: spec},
                      f"search.html#{kind}: the referenced resources are returned with search.mode include"))
    out = []
    for form, title, query, extra, words in specs:
        check = OracleCheck(rtype, everything, oracle, query, extra)
        out.append(Case(
            id=f"{SUITE}.{rtype}.{form}", suite=SUITE, title=f"{rtype}?{'&'.join(k + '=' + v for k, v in query)}",
            description=title, requirement=Requirement(label, words.split(":")[0], words),
            tags=("search", "oracle", rtype.lower()), versions=(version,),
            requires=Requires(resource=rtype, interactions=("search-type",),  # unscoped: needs _tag
                              searchParams=tuple(sorted({k.split(":")[0] for k, _ in scope} or {"_tag"})),
                              include=tuple(v for k, v in query if k == "_include"),
                              revinclude=tuple(v for k, v in query if k == "_revinclude")),
            fixtures=(), vars=(),
            steps=(Step("search", Request("GET", rtype, query=tuple(query), followNext=True),
                        asserts=(Assertion("searchOracle", check),)),),
            cleanup=(), file="harness/engine/oracle_suite.py", line=1))
    return out
