"""JSON results: the documented, stable shape (docs/results-schema.json)."""

from __future__ import annotations

import json

from harness import __version__
from harness.engine.events import RunResult

SCHEMA_VERSION = 1


def as_dict(run: RunResult) -> dict:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "harnessVersion": __version__,
        "run": {"id": run.run_id, "server": run.server, "fhirVersion": run.fhir_version,
                "software": run.software, "started": run.started, "finished": run.finished,
                "durationMs": run.duration_ms, "status": run.status, "message": run.message,
                "fixturesLoadedVia": run.fixtures_via, "created": run.created, "deleted": run.deleted,
                "left": run.left,
                "cleanupProblems": run.cleanup_problems},
        "summary": {"total": len(run.cases), **run.counts},
        "cases": [r.as_dict() for r in run.cases],
    }


def render(run: RunResult) -> str:
    return json.dumps(as_dict(run), indent=2, ensure_ascii=False) + "\n"
