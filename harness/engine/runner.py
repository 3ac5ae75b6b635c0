"""Run one case: resolve vars, send each step, capture, assert, run cleanup; emit step events.

Statuses: a failed assertion → failed (later steps are not sent, cleanup still runs); a transport
problem or an assertion that cannot be evaluated → error.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from harness.engine import assertions as A
from harness.engine import fixtures as fx
from harness.engine import ids
from harness.engine import strict
from harness.engine.events import ERROR, FAILED, PASSED, CaseFinished, CaseResult, CaseStarted, StepFinished, StepResult
from harness.engine.http import ReadOnlyViolation, TransportError
from harness.engine.model import BUILTINS, VAR_RE, Case, Step
from harness.engine.tracker import Tracker, track

__all__ = ["MAX_PAGES", "RunContext", "Tracker", "run_case", "run_step", "substitute", "substitute_path"]

MAX_PAGES = 50
ERRATUM = "passed (erratum "  # how an assertion's message starts when it passed only under an erratum


@dataclass
class RunContext:
    client: object
    version: str
    run_id: str
    loaded: fx.Loaded
    tracker: Tracker
    validate: object  # (resource, source) → Result
    bus: object
    server_resolver: object = None  # () → a harness.imaging Resolver over the live server
    deadline: float | None = None
    builtins: dict = field(default_factory=dict)
    cleanup: bool = True
    fail_on: str = "error"
    max_pages: int = MAX_PAGES  # next links followed per search; reaching it is reported


def substitute(obj, values: dict):
    if isinstance(obj, str):
        def one(m):
            name = m.group(1)
            if name not in values:
                raise A.AssertionSetupError(f"${{{name}}} has no value")
            return str(values[name])
        return VAR_RE.sub(one, obj)
    if isinstance(obj, list):
        return [substitute(x, values) for x in obj]
    if isinstance(obj, tuple):
        return tuple(substitute(x, values) for x in obj)
    if isinstance(obj, dict):
        return {substitute(k, values): substitute(v, values) for k, v in obj.items()}
    return obj


class Captured(str):
    """A value a capture took from a server response (so an unusable one is the server's failure)."""


class UnusableValue(Exception):
    """A value that would have been put in a request path is not a usable id; the request is not sent."""


def substitute_path(path: str, values: dict) -> str:
    """A request path with its ${name}s filled in. Every value put in a path is one id (or, for
    ${fixture.<name>.ref}, one Type/id) that harness.engine.ids accepts: nothing a server said reaches
    a URL unchecked (no '..', '/', '%2F', over-long or empty segment)."""
    def one(m):
        name = m.group(1)
        if name not in values:
            raise A.AssertionSetupError(f"${{{name}}} has no value")
        value = values[name]
        text = value if isinstance(value, str) else str(value)
        if name in BUILTINS:  # chosen by the harness or its user (${base}, ${run}), not by the server
            return text
        problem = ids.ref_problem(text) if name.endswith(".ref") else ids.id_problem(text)
        if problem:
            if isinstance(value, Captured):
                raise UnusableValue(f"${{{name}}} (captured from the server): {problem}; not put in a URL")
            raise A.AssertionSetupError(f"${{{name}}} in the request path: {problem}")
        return text
    return VAR_RE.sub(one, path)


def _values(case: Case, ctx: RunContext) -> dict:
    values = dict(ctx.builtins)
    for name, ref in ctx.loaded.refs.items():
        values[f"fixture.{name}.id"] = ref.split("/", 1)[1]
        values[f"fixture.{name}.ref"] = ref
    pending = list(case.vars)
    while pending:  # the loader proved there is no cycle
        progress = False
        for v in list(pending):
            if v.fixture:
                if v.fixture not in ctx.loaded.resources:
                    raise A.AssertionSetupError(f"var {v.name}: fixture {v.fixture} not loaded")
                res = A.evaluate(v.fhirpath, ctx.loaded.resources[v.fixture], ctx.version)
                if not res:
                    raise A.AssertionSetupError(f"var {v.name}: {v.fhirpath} is empty on fixture {v.fixture}")
                values[v.name] = res[0]
            else:
                refs = VAR_RE.findall(v.template)
                if any(r not in values for r in refs if r in {x.name for x in pending}):
                    continue
                values[v.name] = substitute(v.template, values)
            pending.remove(v)
            progress = True
        if not progress:
            raise A.AssertionSetupError("vars cannot be resolved")
    return values


def _created(method: str, path: str, resp, parsed) -> ids.Created:
    """The resource this step's create (POST [type], or PUT [type]/[id] answered 201) made."""
    segs = path.split("?")[0].strip("/").split("/")
    if method == "PUT" and len(segs) == 2:
        return ids.created(segs[0], resp.header("Location"), parsed, sent_id=segs[1])
    if method != "POST" or len(segs) != 1 or not segs[0]:
        raise A.AssertionSetupError(f"a created capture needs POST [type] or PUT [type]/[id], not {method} {path}")
    return ids.created(segs[0], resp.header("Location"), parsed)


def _follow(client, first, body, max_pages: int = MAX_PAGES):
    """Follow Bundle next links (same origin only, bounded, cycle-checked); merge the entries.
    Returns the merged Bundle and a paging problem (a conformance failure) or None."""
    merged = dict(body)
    merged["entry"] = list(body.get("entry") or [])
    merged.pop("link", None)
    seen, page = {first.url}, body
    for _ in range(max_pages):
        nxt = next((l.get("url") for l in page.get("link") or [] if isinstance(l, dict)
                    and l.get("relation") == "next"), None)
        if not nxt:
            return merged, None
        if nxt in seen:
            return merged, f"next link repeats an earlier page (paging cycle): {client.redact(nxt)}"
        seen.add(nxt)
        r = client.request("GET", nxt)
        page = r.json()
        if r.status != 200 or not isinstance(page, dict) or page.get("resourceType") != "Bundle":
            return merged, f"page {client.redact(nxt)} answered {r.status} without a Bundle"
        merged["entry"] += list(page.get("entry") or [])
    return merged, f"more than {max_pages} pages (the --max-pages limit): the rest was not read"


def run_step(step: Step, values: dict, ctx: RunContext, cleanup: bool) -> tuple[StepResult, bool]:
    """Send one step; returns its result and whether the case may continue."""
    log = ctx.client.start_log()
    outcomes: list[A.Outcome] = []
    error = None
    try:
        req = step.request
        path = substitute_path(req.path, values)
        query = [(k, substitute(v, values)) for k, v in req.query]
        headers = dict(substitute(list(req.headers), values))
        body = None
        if req.fixture:
            body = fx.body_for(req.fixture, ctx.version, ctx.loaded, fx.case_code(ctx.run_id))
            if req.method == "PUT":  # update: the body's id is the id in the URL
                body["id"] = path.split("?")[0].rstrip("/").split("/")[-1]
        elif req.body is not None:
            body = substitute(req.body, values)
            if isinstance(body, dict) and req.method in ("POST", "PUT") and "resourceType" in body:
                fx.add_tag(body, fx.case_code(ctx.run_id))
        resp = ctx.client.request(req.method, path, query=query, headers=headers, body=body)
        parsed = resp.json()
        track(req.method, resp.status, resp.header("Location"), parsed, ctx.tracker, path)
        if req.rejectable and strict.rejected(resp, parsed):  # an unclaimed feature, refused: allowed
            outcomes.append(A.Outcome("strict", True, f"status {resp.status} with an OperationOutcome: the server "
                                      f"rejected what it does not claim ({req.rejectable}) under Prefer: "
                                      f"handling=strict, as allowed"))
            return StepResult(step.name, tuple(log), tuple(outcomes), None, cleanup), True
        if req.followNext and isinstance(parsed, dict) and parsed.get("resourceType") == "Bundle":
            parsed, paging_problem = _follow(ctx.client, resp, parsed, ctx.max_pages)
            outcomes.append(A.Outcome("paging", paging_problem is None, paging_problem or
                                      f"{len(parsed['entry'])} entries over all pages"))
        actx = A.Context(ctx.version, ctx.loaded.refs, ctx.validate, ctx.server_resolver, ctx.fail_on,
                         ours=lambda: set(ctx.tracker.created))
        made = None
        for cap in step.captures:
            if cap.header:
                got = resp.header(cap.header)
                if got is None:
                    raise A.AssertionSetupError(f"capture {cap.name}: header {cap.header} missing")
                values[cap.name] = Captured(got)
            elif cap.created:
                made = made or _created(req.method, path, resp, parsed)
                value, problem = (made.id, made.problem) if cap.created == "id" else \
                    (made.version, made.problem or made.version_problem or (
                        None if made.version is not None else f"no version: looked in the {made.source}"))
                if problem:
                    outcomes.append(A.Outcome("capture", False, ctx.client.redact(f"capture {cap.name}: {problem}")))
                    continue
                values[cap.name] = Captured(value)
            else:
                res = A.evaluate(cap.fhirpath, parsed, ctx.version)
                if not res:
                    where = "the response body" if resp.body else "the response body, which is empty"
                    outcomes.append(A.Outcome("capture", False, f"capture {cap.name}: {cap.fhirpath} is empty in {where}"))
                    continue
                values[cap.name] = Captured(res[0]) if isinstance(res[0], str) else res[0]
        for a in step.asserts:
            if a.kind in ("fhirpath", "header") or isinstance(a.value, str):
                a = type(a)(a.kind, substitute(a.value, values), a.description)
            outcomes.append(A.check(a, resp, parsed, actx))
    except TransportError as e:
        error = f"transport: {e}"
    except ReadOnlyViolation as e:
        error = str(e)
    except UnusableValue as e:
        outcomes.append(A.Outcome("id", False, ctx.client.redact(str(e))))
    except A.AssertionSetupError as e:
        error = f"harness: {ctx.client.redact(str(e))}"
    except Exception as e:  # noqa: BLE001 - whatever the server sent, this case errors and the run goes on
        error = f"harness error: {type(e).__name__}: {ctx.client.redact(str(e))}"
    finally:
        ctx.client.stop_log()
    result = StepResult(step.name, tuple(log), tuple(outcomes), error, cleanup)
    return result, result.passed


def run_case(case: Case, ctx: RunContext) -> CaseResult:
    ctx.bus.emit(CaseStarted(case))
    ctx.tracker.begin_case()
    start = time.monotonic()
    steps: list[StepResult] = []
    status, message = PASSED, "all assertions passed"
    try:
        values = _values(case, ctx)
    except A.AssertionSetupError as e:
        values, status, message = None, ERROR, f"harness: {e}"
    except Exception as e:  # noqa: BLE001 - this case errors, the others still run
        values, status, message = None, ERROR, f"harness error: {type(e).__name__}: {e}"
    if values is not None:
        for step in case.steps:
            if ctx.deadline and time.monotonic() > ctx.deadline:
                status, message = ERROR, "run deadline reached before this step"
                break
            result, ok = run_step(step, values, ctx, cleanup=False)
            steps.append(result)
            ctx.bus.emit(StepFinished(case, result))
            if not ok:
                if result.error:
                    status, message = ERROR, f"step {step.name!r}: {result.error}"
                else:
                    failed = [o for o in result.outcomes if not o.passed]
                    status = FAILED
                    message = f"step {step.name!r}: " + "; ".join(
                        (f"{o.description}: " if o.description else "") + o.message for o in failed)
                break
        for step in case.cleanup:
            try:
                result, _ = run_step(step, values, ctx, cleanup=True)
            except A.AssertionSetupError as e:  # a capture the failed step never made
                result = StepResult(step.name, (), (), f"skipped: {e}", True)
            steps.append(result)
            ctx.bus.emit(StepFinished(case, result))
    if status == PASSED:  # a pass under an erratum or by a strict rejection says so (the console shows it)
        message = next((o.message for s in steps for o in s.outcomes
                        if o.message.startswith(ERRATUM) or o.kind == "strict"), message)
    leftovers = ctx.tracker.end_case()
    if ctx.cleanup and leftovers:  # e.g. an invalid resource the server accepted: keep cases independent
        steps.append(_delete_leftovers(leftovers, ctx))
        ctx.bus.emit(StepFinished(case, steps[-1]))
    res = CaseResult(case, status, message, tuple(steps), int((time.monotonic() - start) * 1000))
    ctx.bus.emit(CaseFinished(res))
    return res


def _delete_leftovers(refs: list[str], ctx: RunContext) -> StepResult:
    log = ctx.client.start_log()
    problems = []
    try:
        for ref in reversed(refs):
            try:
                r = ctx.client.request("DELETE", ref)
                if r.status in (200, 202, 204, 404, 410):
                    ctx.tracker.gone(ref)
                else:
                    problems.append(f"DELETE {ref} answered {r.status}")
            except (TransportError, ReadOnlyViolation) as e:
                problems.append(f"DELETE {ref}: {e}")
    finally:
        ctx.client.stop_log()
    return StepResult("delete what the case created", tuple(log), (), "; ".join(problems) or None, True)


def body_text(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)
