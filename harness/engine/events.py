"""Run results as values and the events the runner emits; reports subscribe to these and nothing else."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from harness.engine.assertions import Outcome
from harness.engine.http import Exchange
from harness.engine.model import Case

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"
STATUSES = (PASSED, FAILED, ERROR, SKIPPED)


@dataclass(frozen=True)
class StepResult:
    name: str
    exchanges: tuple[Exchange, ...]
    outcomes: tuple[Outcome, ...]
    error: str | None = None
    cleanup: bool = False

    @property
    def passed(self) -> bool:
        return self.error is None and all(o.passed for o in self.outcomes)

    def as_dict(self) -> dict:
        return {"name": self.name, "cleanup": self.cleanup, "error": self.error,
                "assertions": [o.as_dict() for o in self.outcomes],
                "exchanges": [e.as_dict() for e in self.exchanges]}


@dataclass(frozen=True)
class CaseResult:
    case: Case
    status: str
    message: str
    steps: tuple[StepResult, ...] = ()
    duration_ms: int = 0

    def transcript(self) -> str:
        parts = []
        for s in self.steps:
            parts.append(f"## {'cleanup: ' if s.cleanup else ''}{s.name}")
            parts += [e.text() for e in s.exchanges]
            parts += [f"[{'PASS' if o.passed else 'FAIL'}] {o.kind}: {o.message}" for o in s.outcomes]
            if s.error:
                parts.append(f"[ERROR] {s.error}")
        return "\n".join(parts)

    def as_dict(self) -> dict:
        c = self.case
        return {"id": c.id, "suite": c.suite, "title": c.title, "status": self.status,
                "message": self.message, "durationMs": self.duration_ms, "file": c.file, "line": c.line,
                "tags": list(c.tags), "versions": list(c.versions),
                "requirement": {"version": c.requirement.version, "section": c.requirement.section,
                                "text": c.requirement.text},
                "steps": [s.as_dict() for s in self.steps]}


@dataclass
class RunResult:
    run_id: str
    server: str
    fhir_version: str | None
    software: str | None
    started: str
    finished: str = ""
    cases: list[CaseResult] = field(default_factory=list)
    status: str = "completed"  # completed | error | interrupted
    message: str = ""
    fixtures_via: str = ""
    created: int = 0
    deleted: int = 0
    left: list[str] = field(default_factory=list)  # what the run made and did not delete, with why
    cleanup_problems: list[str] = field(default_factory=list)
    duration_ms: int = 0

    def count(self, status: str) -> int:
        return sum(1 for c in self.cases if c.status == status)

    @property
    def counts(self) -> dict:
        return {s: self.count(s) for s in STATUSES}

    @property
    def suites(self) -> list[str]:
        return sorted({c.case.suite for c in self.cases})


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    server: str
    fhir_version: str | None
    planned: int  # cases from the case files
    generated: bool = False  # the search-oracle suite follows once the dataset is loaded


@dataclass(frozen=True)
class CaseStarted:
    case: Case


@dataclass(frozen=True)
class StepFinished:
    case: Case
    step: StepResult


@dataclass(frozen=True)
class CaseFinished:
    result: CaseResult


@dataclass(frozen=True)
class RunFinished:
    result: RunResult


class Bus:
    """Delivers events to subscribers one at a time; a failing subscriber never stops the run.

    With a sink (harness.engine.sink.Sink), every event is scrubbed before any subscriber sees it:
    the console and every report receive only redacted, printable text, whatever produced it."""

    def __init__(self, subscribers=(), sink=None):
        self.subscribers = list(subscribers)
        self.sink = sink
        self.problems: list[str] = []
        self._lock = threading.Lock()

    def emit(self, event) -> None:
        if self.sink is not None:
            try:
                event = self.sink.scrub(event)
            except Exception as e:  # noqa: BLE001 - nothing unscrubbed is delivered; the run goes on
                self.problems.append(f"sink: {type(e).__name__}; {type(event).__name__} not delivered")
                return
        with self._lock:
            for s in self.subscribers:
                try:
                    s.handle(event)
                except Exception as e:  # noqa: BLE001 - a report's bug must not end the run
                    problem = f"{type(s).__name__}: {type(e).__name__}: {e}"
                    self.problems.append(self.sink.text(problem) if self.sink is not None else problem)
