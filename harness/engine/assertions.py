"""Assertions over one response: each kind is a function (assertion, response, context) → Outcome.

A failed assertion is a conformance failure; an assertion that cannot be evaluated (a FHIRPath
expression that does not parse, a fixture that was not loaded) is a harness error.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
from dataclasses import dataclass
from decimal import Decimal

import fhirpathpy
from fhirpathpy.models import models as _MODELS

from harness.definitions import versions
from harness.engine.model import Assertion


class AssertionSetupError(Exception):
    """The assertion itself cannot be evaluated (harness or case problem, not the server's)."""


@dataclass(frozen=True)
class Outcome:
    kind: str
    passed: bool
    message: str
    description: str | None = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "passed": self.passed, "message": self.message,
                "description": self.description}


def _silent(*a, **k):
    pass


_COMPILED: dict = {}
_LOCK = threading.Lock()


def compile_fhirpath(expr: str, version: str):
    """fhirpathpy.compile once per (expression, model)."""
    models = versions.model_for()  # the version table's; a version it does not name: the default's
    model = models.get(version) or models[versions.default()]
    key = (expr, model)
    with _LOCK:
        fn = _COMPILED.get(key)
        if fn is None:
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    fn = fhirpathpy.compile(expr, _MODELS[model], {"traceFn": _silent})
            except Exception as e:  # noqa: BLE001 - any parser failure is a case error
                fn = AssertionSetupError(f"FHIRPath {expr!r} does not parse: {str(e)[:200]}")
            _COMPILED[key] = fn
    if isinstance(fn, Exception):
        raise fn
    return fn


def evaluate(expr: str, value, version: str) -> list:
    if value is None:
        return []
    try:
        return list(compile_fhirpath(expr, version)(value))
    except AssertionSetupError:
        raise
    except Exception as e:  # noqa: BLE001
        raise AssertionSetupError(f"FHIRPath {expr!r} failed: {str(e)[:200]}") from None


@dataclass
class Context:
    version: str
    fixture_refs: dict  # fixture name → "Type/id" (loaded this run)
    validate: object  # callable(resource, source, resolver, full_url) → Result
    server_resolver: object = None  # () → a fresh harness.imaging Resolver over the live server, or None
    fail_on: str = "error"  # "warning": validation warnings in responses fail `valid` too
    ours: object = None  # () -> the Type/id of every resource this run created (None: the fixtures)

    def is_ours(self, ref: str) -> bool:
        return ref in (self.ours() if self.ours else set(self.fixture_refs.values()))

    def resolver(self, body):
        """Resolution for imaging rules: the response itself (Bundle entries) first, then the server."""
        from harness.imaging import Chain, Index

        server = self.server_resolver() if self.server_resolver else None
        return Chain(Index.of("the response", [body] if isinstance(body, dict) else []), server)


def check(a: Assertion, resp, body, ctx: Context) -> Outcome:
    fn = CHECKS[a.kind]
    ok, msg = fn(a.value, resp, body, ctx)
    return Outcome(a.kind, ok, msg, a.description)


def _status(value, resp, body, ctx):
    allowed = value if isinstance(value, list) else [value]
    return resp.status in allowed, f"status {resp.status}, expected {' or '.join(map(str, allowed))}"


def _header(value, resp, body, ctx):
    got = resp.header(value["name"])
    if value.get("present", True) is False:
        return got is None, f"header {value['name']} {'absent' if got is None else f'present: {got!r}'}, expected absent"
    if got is None:
        return False, f"header {value['name']} missing"
    if "matches" in value and not re.search(value["matches"], got):
        return False, f"header {value['name']}: {got!r} does not match {value['matches']!r}"
    return True, f"header {value['name']}: {got!r}"


def _resource_type(value, resp, body, ctx):
    got = body.get("resourceType") if isinstance(body, dict) else None
    return got == value, f"resourceType {got!r}, expected {value!r}"


def _entry_refs(body) -> set[str]:
    out = set()
    if isinstance(body, dict):
        for e in body.get("entry") or []:
            r = e.get("resource") if isinstance(e, dict) else None
            if isinstance(r, dict):
                out.add(f"{r.get('resourceType')}/{r.get('id')}")
    return out


def _fixture_refs(names, ctx) -> dict:
    missing = [n for n in names if n not in ctx.fixture_refs]
    if missing:
        raise AssertionSetupError(f"fixture(s) not loaded on the server: {', '.join(missing)}")
    return {n: ctx.fixture_refs[n] for n in names}


def _bundle_contains(value, resp, body, ctx):
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        return False, "response is not a Bundle"
    have = _entry_refs(body)
    missing = [f"{n} ({ref})" for n, ref in _fixture_refs(value, ctx).items() if ref not in have]
    return not missing, (f"Bundle lacks {', '.join(missing)}" if missing else
                         f"Bundle contains {', '.join(value)}")


def _bundle_not_contains(value, resp, body, ctx):
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        return False, "response is not a Bundle"
    have = _entry_refs(body)
    extra = [f"{n} ({ref})" for n, ref in _fixture_refs(value, ctx).items() if ref in have]
    return not extra, (f"Bundle unexpectedly contains {', '.join(extra)}" if extra else
                       f"Bundle does not contain {', '.join(value)}")


def _bundle_total(value, resp, body, ctx):
    got = body.get("total") if isinstance(body, dict) else None
    return got == value, f"Bundle.total {got!r}, expected {value}"


def searched_type(resp) -> str | None:
    """The resource type a type-level search was sent to ([base]/Type or [base]/Type/_search)."""
    from urllib.parse import urlsplit

    parts = [p for p in urlsplit(getattr(resp, "url", "") or "").path.split("/") if p]
    if parts and parts[-1] == "_search":
        parts.pop()
    return parts[-1] if parts and parts[-1][:1].isupper() else None


def matches(body, rtype: str | None = None) -> list[str]:
    """Type/id of the searchset's matches, in order. Bundle.entry.search.mode is 0..1 (FHIR R5
    Bundle.entry.search.mode: "match | include | outcome"): an entry without it is a match unless it is
    known to be included (a resource of another type than the one searched)."""
    out = []
    for e in body.get("entry") or [] if isinstance(body, dict) else []:
        r = e.get("resource") if isinstance(e, dict) else None
        search = e.get("search") if isinstance(e.get("search"), dict) else {}
        if not isinstance(r, dict):
            continue
        mode = search.get("mode")
        if mode == "match" or (mode is None and (rtype is None or r.get("resourceType") == rtype)):
            out.append(f"{r.get('resourceType')}/{r.get('id')}")
    return out


def _match_count(value, resp, body, ctx):
    """Matches that are this run's resources: data already on the server (a server that does not
    claim _tag returns it) is not counted."""
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        return False, "response is not a Bundle"
    found = matches(body, searched_type(resp))
    ours = [m for m in found if ctx.is_ours(m)]
    foreign = f" ({len(found) - len(ours)} more from outside this run not counted)" if len(found) > len(ours) else ""
    return len(ours) == value, f"{len(ours)} of this run's resources matched, expected {value}{foreign}"


def _match_order(value, resp, body, ctx):
    """The named fixtures are matches in this order (other resources, from outside the run, may be
    interleaved: their order is not this case's to judge)."""
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        return False, "response is not a Bundle"
    refs = _fixture_refs(value, ctx)
    names = {ref: n for n, ref in refs.items()}
    got = [names[m] for m in matches(body, searched_type(resp)) if m in names]
    return got == list(value), f"this run's matches in the order {got}, expected {list(value)}"


def _norm(v):
    if isinstance(v, Decimal):
        return float(v)
    return v


def _fhirpath(value, resp, body, ctx):
    expr = value["expr"]
    res = [_norm(x) for x in evaluate(expr, body, ctx.version)]
    if "exists" in value:
        return bool(res), f"{expr} → {_show(res)}, expected to exist"
    if "empty" in value:
        return not res, f"{expr} → {_show(res)}, expected empty"
    want = value["equals"]
    want_list = want if isinstance(want, list) else [want]
    ok = res == want_list or [str(x) for x in res] == [str(x) for x in want_list]
    return ok, f"{expr} → {_show(res)}, expected {_show(want_list)}"


def _show(res) -> str:
    s = repr(res)
    return s if len(s) < 300 else s[:300] + "…"


def resources_of(body) -> list[tuple[str, dict, str | None]]:
    """The response resource and, for a Bundle, each entry resource: (source label, resource, fullUrl)."""
    if not isinstance(body, dict):
        return []
    out = [("response", body, None)]
    if body.get("resourceType") == "Bundle":
        for i, e in enumerate(body.get("entry") or []):
            if isinstance(e, dict) and isinstance(e.get("resource"), dict):
                full = e.get("fullUrl") if isinstance(e.get("fullUrl"), str) else None
                out.append((f"response#entry[{i}]", e["resource"], full))
    return out


def run_resources_of(body, ctx) -> tuple[list[tuple[str, dict, str | None]], int]:
    """resources_of, without the entries of a Bundle that are not this run's (data already on the
    server: a server that does not claim _tag returns it; its validity is not this run's to judge);
    and how many were left out."""
    out = resources_of(body)
    kept = [x for x in out if x[0] == "response" or ctx.is_ours(f"{x[1].get('resourceType')}/{x[1].get('id')}")]
    return kept, len(out) - len(kept)


def _valid(value, resp, body, ctx):
    if not isinstance(body, dict):
        return False, "response body is not a JSON resource"
    problems = []
    resolver = ctx.resolver(body)
    checked, foreign = run_resources_of(body, ctx)
    for source, res, full_url in checked:
        if source != "response" and res.get("resourceType") == "Bundle":
            continue  # a nested Bundle is validated with its entries by the validator
        result = ctx.validate(res, source, resolver, full_url)
        for i in result.issues:
            if i.severity == "error" or (ctx.fail_on == "warning" and i.severity == "warning"):
                problems.append(f"{source} {i.location}: {i.message} [{i.rule}]")
    n = len(checked)
    left = f" ({foreign} from outside this run not checked)" if foreign else ""
    return not problems, ("; ".join(problems[:10]) + (f" (+{len(problems) - 10} more)" if len(problems) > 10 else "")
                          if problems else f"{n} resource(s) valid{left}")


_SEV = {"fatal": 0, "error": 1, "warning": 2, "information": 3}


def _outcome(value, resp, body, ctx):
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        got = body.get("resourceType") if isinstance(body, dict) else "no JSON resource"
        return False, f"expected an OperationOutcome, got {got}"
    want = _SEV[value["severity"]]
    sevs = [i.get("severity") for i in body.get("issue") or [] if isinstance(i, dict)]
    ok = any(_SEV.get(s, 9) <= want for s in sevs)
    return ok, f"OperationOutcome issue severities {sevs}, expected at least {value['severity']}"


SINGLE_SERIES_RULES = ("imaging.single-series", "imaging.study-mismatch", "imaging.unresolved",
                       "imaging.one-patient", "imaging.series-number")


def _single_series(value, resp, body, ctx):
    """The imaging rules (harness.imaging) on every ImagingSelection returned, resolving the studies
    they derive from in the response (_include) or on the server."""
    from harness import imaging

    sels = [(r, full) for _, r, full in run_resources_of(body, ctx)[0] if r.get("resourceType") == "ImagingSelection"]
    if not sels:
        return False, "no ImagingSelection in the response"
    resolver = ctx.resolver(body)
    problems = []
    for sel, full in sels:
        for i in imaging.run(sel, ctx.version, resolver, full):
            if i.rule in SINGLE_SERIES_RULES and i.severity == "error":
                problems.append(f"ImagingSelection/{sel.get('id')} {i.location}: {i.message} [{i.rule}]")
    return not problems, ("; ".join(problems[:10]) if problems else
                          f"{len(sels)} selection(s): instances of one series of the study they derive from")


def _search_oracle(value, resp, body, ctx):
    """The oracle's exact expected set (harness.engine.oracle_suite.OracleCheck) against the ids
    returned; every ImagingSelection a search returns must also keep to the single-series rule."""
    ok, msg = value.judge(body)
    if ok and any(r.get("resourceType") == "ImagingSelection" for _, r, _ in run_resources_of(body, ctx)[0]):
        ss_ok, ss_msg = _single_series(True, resp, body, ctx)
        if not ss_ok:
            return False, f"single-series: {ss_msg}"
    return ok, msg


CHECKS = {
    "singleSeries": _single_series,
    "searchOracle": _search_oracle,
    "status": _status, "header": _header, "resourceType": _resource_type,
    "bundleContains": _bundle_contains, "bundleNotContains": _bundle_not_contains,
    "bundleTotal": _bundle_total, "matchCount": _match_count, "matchOrder": _match_order, "fhirpath": _fhirpath,
    "valid": _valid, "outcome": _outcome,
}
