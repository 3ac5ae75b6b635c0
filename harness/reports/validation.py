"""What the formats of `imaging-harness validate` share: the counts (summary, Tally, the summary line)
(OperationOutcomes are built by harness/validation/outcome.py). The formats themselves are modules listed in registry.py."""

from __future__ import annotations

from harness.validation.issues import ERROR, WARNING, Result


def summary(results: list[Result]) -> dict:
    return {
        "resources": len(results),
        "errors": sum(r.count(ERROR) for r in results),
        "warnings": sum(r.count(WARNING) for r in results),
    }


def summary_line(resources: int, invalid: int, errors: int, warnings: int) -> str:
    return (f"{resources} resources, {resources - invalid} valid, {invalid} invalid; "
            f"{errors} errors, {warnings} warnings")


class Tally:
    """Counts kept while results stream past (nothing else is held)."""

    def __init__(self) -> None:
        self.resources = self.invalid = self.errors = self.warnings = 0

    def add(self, r: Result) -> None:
        self.resources += 1
        self.invalid += not r.valid
        self.errors += r.count(ERROR)
        self.warnings += r.count(WARNING)

    @property
    def line(self) -> str:
        return summary_line(self.resources, self.invalid, self.errors, self.warnings)
