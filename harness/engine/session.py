"""A whole run: discover capabilities, plan (skips with reasons), load fixtures, run cases (optionally
concurrently), delete what this run created, and emit run events. Returns the RunResult and exit code.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone

from harness.definitions import versions
from harness.engine import assertions as A
from harness.engine import fixtures as fx
from harness.engine import strict
from harness.engine.capabilities import Capabilities, definition_reader
from harness.engine.events import (ERROR, SKIPPED, Bus, CaseFinished, CaseResult, CasesPlanned, RunFinished, RunResult,
                                   RunStarted)
from harness.engine.http import Client, ClientConfig, TransportError
from harness.engine.interrupts import Interrupts
from harness.engine.model import Case
from harness.engine.runner import RunContext, Tracker, run_case

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


@dataclass
class RunOptions:
    server: str
    fhir_version: str = "auto"
    token: str | None = None
    headers: dict = field(default_factory=dict)
    secret_headers: frozenset = frozenset()  # lower-case header names whose values are redacted
    timeout: float = 30.0
    connect_timeout: float = 5.0
    workers: int = 1
    read_only: bool = False
    cleanup: bool = True
    deadline_s: float = 1800.0
    max_bytes: int = 20 * 1024 * 1024
    fail_on: str = "error"  # or "warning": validation warnings in server responses fail `valid`
    max_pages: int = 50  # next links followed per search (a server with endless pages is reported)
    oracle: bool = False  # generate the search-oracle suite from the loaded dataset
    oracle_filter: object = None  # (case) -> bool: the --tag / --case selection for generated cases


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _validator(version: str):
    from harness.validation.validator import validate_value

    def validate(resource, source, resolver=None, full_url=None):
        return validate_value(resource, source, version, resolver=resolver, full_url=full_url)
    return validate


def _server_resolver(client: Client, run_id: str):
    """Imaging rules resolve references on the server; studies by UID among this run's dataset only."""
    from harness.imaging import FetchResolver

    def by_uid(uid: str) -> list[dict]:
        try:
            r = client.request("GET", "ImagingStudy", query={"identifier": f"urn:dicom:uid|urn:oid:{uid}",
                                                              "_tag": f"{fx.TAG_SYSTEM}|{run_id}"})
        except TransportError:
            return []
        body = r.json() if r.status == 200 else None
        found = [e["resource"] for e in (body or {}).get("entry") or []
                 if isinstance(e, dict) and isinstance(e.get("resource"), dict)] if isinstance(body, dict) else []
        # by the tag on the resource itself: a server that does not claim _tag ignores it, and data
        # already on the server may hold a study with the same UID
        return [r for r in found if any(isinstance(t, dict) and t.get("system") == fx.TAG_SYSTEM
                                        and t.get("code") == run_id for t in (r.get("meta") or {}).get("tag") or [])]
    return FetchResolver(f"the server {client.base}", client.read, by_uid)


def plan(cases: list[Case], caps: Capabilities, version: str, read_only: bool) -> tuple[list[Case], list[CaseResult]]:
    runnable, skipped = [], []
    for c in cases:
        reason = None
        if version not in c.versions:
            reason = f"applies to {', '.join(c.versions)}; the server is {version}"
        elif read_only and c.writes:
            reason = "the case writes to the server and the run is --read-only"
        else:
            reason = caps.unmet(c.requires)
            if reason is None:
                c = strict.without_unclaimed_tag(c, caps)
            missing = caps.unclaimed(c.requires) if reason is None else []
            if missing:  # requires.unclaimed: strict (unmet() skips the others with these reasons)
                c = strict.variant(c, missing)
        if reason:
            skipped.append(CaseResult(c, SKIPPED, reason))
        else:
            runnable.append(c)
    return runnable, skipped


def _precompile(cases: list[Case], version: str) -> list[tuple[Case, str]]:
    """Compile every FHIRPath of the planned cases once, before any request; returns the failures."""
    bad = []
    for c in cases:
        exprs = [v.fhirpath for v in c.vars if v.fhirpath]
        for s in c.steps + c.cleanup:
            exprs += [cap.fhirpath for cap in s.captures if cap.fhirpath]
            exprs += [a.value["expr"] for a in s.asserts if a.kind == "fhirpath"]
        for e in exprs:
            try:
                A.compile_fhirpath(e, version)
            except A.AssertionSetupError as err:
                bad.append((c, str(err)))
                break
    return bad


def execute(cases: list[Case], opts: RunOptions, subscribers=()) -> tuple[RunResult, int]:
    """Run the cases; returns the RunResult (every finished case in it) and the exit code. Ctrl-C
    (harness.engine.interrupts) ends the run early with EXIT_INTERRUPTED, and the reports are still
    written with every case that finished."""
    with Interrupts() as interrupts:
        result, code = _execute(cases, opts, subscribers, interrupts)
    return result, EXIT_INTERRUPTED if interrupts.count else code


def _execute(cases: list[Case], opts: RunOptions, subscribers, interrupts: Interrupts) -> tuple[RunResult, int]:
    run_id = uuid.uuid4().hex[:16]
    t0 = time.monotonic()
    client = Client(ClientConfig(opts.server, opts.token, dict(opts.headers), frozenset(opts.secret_headers),
                                 connect_timeout=opts.connect_timeout,
                                 read_timeout=opts.timeout, max_bytes=opts.max_bytes, read_only=opts.read_only))
    bus = Bus(subscribers, sink=client.sink)  # every event is redacted and made printable on its way out
    result = RunResult(run_id, client.redact(opts.server), None, None, _now())
    tracker = Tracker()
    caps = None
    exit_code = EXIT_PASSED
    file_cases, planned, order = len(cases), None, {}  # planned: known once the search-oracle suite is generated
    try:
        caps, problem = _discover(client)
        if problem:
            result.status, result.message = "error", problem
            exit_code = EXIT_UNREACHABLE
            return result, exit_code
        result.fhir_version, result.software = caps.fhir_version, caps.software
        version = caps.version if opts.fhir_version == "auto" else opts.fhir_version
        if version not in versions.runnable():
            result.status = "error"
            result.message = (f"the server's fhirVersion {caps.fhir_version!r} is not one the cases cover"
                              if opts.fhir_version == "auto" else f"unknown FHIR version {version!r}")
            exit_code = EXIT_USAGE
            return result, exit_code
        bus.emit(RunStarted(run_id, result.server, caps.fhir_version, len(cases), opts.oracle))
        if not opts.oracle:
            planned = len(cases)
            bus.emit(CasesPlanned(planned))
        runnable, skipped = plan(cases, caps, version, opts.read_only)
        for r in skipped:
            bus.emit(CaseFinished(r))
        result.cases += skipped
        for c, msg in _precompile(runnable, version):
            runnable.remove(c)
            r = CaseResult(c, ERROR, f"harness: {msg}")
            bus.emit(CaseFinished(r))
            result.cases.append(r)
        loaded = fx.Loaded()
        dataset_names = set(fx.dataset(version))
        needing = [c for c in runnable if c.referenced_fixtures() & dataset_names]
        reason = _no_load_reason(caps, version, opts.read_only) if needing or opts.oracle else None
        load_problem = None
        if (needing or opts.oracle) and reason is None:
            try:
                loaded = fx.load_dataset(client, version, run_id, "transaction" in caps.system, tracker.record)
                result.fixtures_via = loaded.via
            except (fx.LoadError, TransportError) as e:
                load_problem = f"the {version} dataset could not be loaded: {e}"
                result.message = load_problem
        for c in needing if (reason or load_problem) else []:
            runnable.remove(c)
            r = CaseResult(c, SKIPPED if reason else ERROR, reason or load_problem)
            bus.emit(CaseFinished(r))
            result.cases.append(r)
        if opts.oracle:
            generated = _oracle_cases(client, loaded, caps, version, run_id, reason or load_problem, opts)
            cases = list(cases) + [c for c, _ in generated]
            planned = len(cases)
            bus.emit(CasesPlanned(planned))
            for c, why in generated:
                if why:
                    r = CaseResult(c, SKIPPED, why)
                    bus.emit(CaseFinished(r))
                    result.cases.append(r)
                else:
                    runnable.append(c)
        ctx = RunContext(client, version, run_id, loaded, tracker, _validator(version), bus,
                         server_resolver=lambda: _server_resolver(client, run_id), deadline=t0 + opts.deadline_s,
                         builtins={"tag": f"{fx.TAG_SYSTEM}|{run_id}", "tag.system": fx.TAG_SYSTEM,
                                   "tag.code": run_id, "base": client.base, "run": run_id,
                                   "tag.cases": f"{fx.TAG_SYSTEM}|{fx.case_code(run_id)}"},
                         cleanup=opts.cleanup, fail_on=opts.fail_on, max_pages=opts.max_pages,
                         stop=interrupts.stop)
        order = {c.id: i for i, c in enumerate(cases)}  # generated cases were appended to cases
        run_cases(runnable, ctx, opts.workers, result.cases.append)  # each result kept as its case finishes
        exit_code = EXIT_FAILED if any(r.status in ("failed", "error") for r in result.cases) else EXIT_PASSED
        return result, exit_code
    except KeyboardInterrupt:  # the cases that finished are in result.cases; the message is written below
        interrupts.interrupted()
        return result, EXIT_INTERRUPTED
    except Exception as e:  # noqa: BLE001 - reported in every report, never a traceback
        result.status, result.message = "error", f"harness error: {type(e).__name__}: {client.redact(str(e))}"
        exit_code = EXIT_FAILED
        return result, exit_code
    finally:
        cleanup_stopped = False
        if opts.cleanup:
            try:
                _cleanup(client, tracker, result, caps.system if caps else frozenset())
            except KeyboardInterrupt:  # Ctrl-C while deleting: stop deleting, report what is left
                interrupts.interrupted()
                cleanup_stopped = True
        with interrupts.held():  # Ctrl-C from here on waits: the reports are written whole
            result.cases.sort(key=lambda r: order.get(r.case.id, 0))
            result.created, result.deleted = tracker.counts()
            result.left = [client.redact(x) for x in tracker.left()]
            if interrupts.count:  # the run, or its deleting, was cut short (a Ctrl-C from here on is not)
                result.status = "interrupted"
                result.message = interrupted_message(len(result.cases), planned, file_cases, cleanup_stopped,
                                                     len(result.left))
            result.finished = _now()
            result.duration_ms = int((time.monotonic() - t0) * 1000)
            bus.emit(RunFinished(result))
            if bus.problems:
                result.cleanup_problems += [f"report: {p}" for p in bus.problems]


def interrupted_message(done: int, planned: int | None, file_cases: int, cleanup_stopped: bool, left: int) -> str:
    """What an interrupted run did, in words that are true at any moment it can be interrupted."""
    if planned is None:
        how_far = (f"{done} of the {file_cases} case(s) from the case files finished; the search-oracle "
                   "suite was not generated")
    else:
        how_far = f"{done} of {planned} case(s) finished" + (f", {planned - done} did not" if planned > done else "")
    msg = f"interrupted by the user (Ctrl-C): {how_far}"
    if cleanup_stopped:
        msg += f"; deleting what the run created was stopped ({left} left on the server)"
    return msg


def run_cases(runnable: list[Case], ctx: RunContext, workers: int, done) -> None:
    """Run the cases, handing each result to `done` (in this thread) as soon as it finishes, so an
    interrupted run still has every case that finished. With workers, a Ctrl-C (ctx.stop) lets no
    case start another step; the cases stopped that way did not finish and are not handed on."""
    if workers <= 1:
        for c in runnable:
            done(run_case(c, ctx))
        return
    pool = ThreadPoolExecutor(max_workers=workers)
    futures = [pool.submit(run_case, c, ctx) for c in runnable]
    collected = set()
    try:
        for f in as_completed(futures):
            collected.add(f)
            done(f.result())
    finally:
        if ctx.stop is not None:
            ctx.stop.set()  # only reached early on an interrupt or an error: no case starts a step
        pool.shutdown(wait=True, cancel_futures=True)
        for f in futures:  # those that finished while this thread was interrupted
            if f not in collected and f.done() and not f.cancelled() and f.exception() is None:
                done(f.result())


def _oracle_cases(client, loaded, caps, version, run_id, problem, opts) -> list[tuple[Case, str | None]]:
    """The search-oracle cases with the reason each is skipped (None: run it)."""
    from harness.engine.oracle_suite import cases as oracle_cases

    if problem:  # no dataset on the server: there is nothing the oracle can compute against
        return []
    generated = [c for c in oracle_cases(client, loaded, caps, version, run_id)
                 if opts.oracle_filter is None or opts.oracle_filter(c)]
    runnable, skipped = plan(generated, caps, version, opts.read_only)
    return [(c, None) for c in runnable] + [(r.case, r.message) for r in skipped]


def _no_load_reason(caps: Capabilities, version: str, read_only: bool) -> str | None:
    """Why the dataset cannot be loaded at all (then the cases that need it are skipped), or None."""
    if read_only:
        return "the case needs the dataset, which a --read-only run does not load"
    if "transaction" in caps.system:
        return None
    types = sorted({r["resourceType"] for r in fx.dataset(version).values()})
    missing = [t for t in types if "create" not in caps.resources.get(t, {}).get("interactions", ())]
    if missing:
        return ("the case needs the dataset, and the CapabilityStatement claims neither transaction nor "
                f"create for {', '.join(missing)}")
    return None


def _discover(client: Client) -> tuple[Capabilities | None, str | None]:
    try:
        r = client.request("GET", "metadata")
    except TransportError as e:
        return None, f"server unreachable: {e}"
    cs = r.json()
    if r.status != 200 or not isinstance(cs, dict) or cs.get("resourceType") != "CapabilityStatement":
        return None, f"{client.redact(client.url('metadata'))} answered {r.status} without a CapabilityStatement: not a FHIR server"
    caps = Capabilities.parse(cs)
    return dataclasses.replace(caps, search_parameter=definition_reader(caps, client)), None


def _cleanup(client: Client, tracker: Tracker, result: RunResult, system=frozenset()) -> None:
    """Delete exactly what this run created (newest first, so references to them go first): in one
    batch Bundle when the server claims batch, else (and for whatever the batch left) one at a time."""
    alive = list(reversed(tracker.alive()))
    if len(alive) > 1 and "batch" in system:
        bundle = {"resourceType": "Bundle", "type": "batch",
                  "entry": [{"request": {"method": "DELETE", "url": ref}} for ref in alive]}
        try:
            r = client.request("POST", "", body=bundle)
            body = r.json() if r.status == 200 else None
            entries = (body or {}).get("entry") if isinstance(body, dict) else None
            if isinstance(entries, list) and len(entries) == len(alive):
                for ref, e in zip(alive, entries):
                    status = str(((e or {}).get("response") or {}).get("status", ""))
                    if status[:3] in ("200", "202", "204", "404", "410"):
                        tracker.gone(ref)
        except TransportError:
            pass
    for ref in reversed(tracker.alive()):
        try:
            r = client.request("DELETE", ref)
            if r.status in (200, 202, 204, 404, 410):
                tracker.gone(ref)
            else:
                result.cleanup_problems.append(f"DELETE {ref} answered {r.status}")
        except Exception as e:  # noqa: BLE001
            result.cleanup_problems.append(f"DELETE {ref}: {e}")
