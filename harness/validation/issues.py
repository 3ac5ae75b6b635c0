# imaging-harness: compiled
"""Values every check produces: one Issue per finding, one Result per validated resource."""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"
INFORMATION = "information"
SEVERITIES = (ERROR, WARNING, INFORMATION)
MAX_ISSUES = 100  # per resource: the rest is counted in one final issue (bounds the work and the answer)
TRUNCATED = "input.too-many-issues"


@dataclass(frozen=True, slots=True)
class Issue:
    severity: str  # error | warning | information
    rule: str  # stable rule id from the catalog, e.g. "structure.cardinality"
    location: str  # FHIRPath-style, e.g. "ImagingSelection.instance[0].uid"
    message: str  # for people
    requirement: str  # version + element or section the rule comes from

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    def __reduce__(self):  # pickled as its fields (NDJSON workers send thousands): the dataclass's own
        # getstate/setstate pair costs several times more per object
        return Issue, (self.severity, self.rule, self.location, self.message, self.requirement)

    def as_dict(self) -> dict:
        return {
            "severity": self.severity,
            "rule": self.rule,
            "location": self.location,
            "message": self.message,
            "requirement": self.requirement,
        }


class Issues(list):
    """The issues of one resource as they are found: the first MAX_ISSUES kept, the rest only counted
    by severity (a million wrong values cost a count, not a million Issue objects and messages)."""

    __slots__ = ("dropped",)

    def __init__(self, issues=()) -> None:
        super().__init__()
        self.dropped: dict[str, int] = {}
        self.extend(issues)

    def append(self, issue: Issue) -> None:
        if len(self) < MAX_ISSUES:
            super().append(issue)
        else:
            self.dropped[issue.severity] = self.dropped.get(issue.severity, 0) + 1

    def extend(self, issues) -> None:
        for issue in issues:
            self.append(issue)

    def insert(self, index: int, issue: Issue) -> None:
        super().insert(index, issue)
        if len(self) > MAX_ISSUES:
            self.append(super().pop())

    def final(self, location: str) -> tuple[Issue, ...]:
        """The kept issues, then one issue for the dropped ones: as severe as the worst of them (so
        validity is what every issue together says), its message counting them."""
        if not self.dropped:
            return tuple(self)
        more = sum(self.dropped.values())
        worst = next(s for s in SEVERITIES if s in self.dropped)
        counts = ", ".join(f"{self.dropped[s]} {s}" for s in SEVERITIES if s in self.dropped)
        return (*self, Issue(worst, TRUNCATED, location, f"{more} more issues not listed ({counts}): at most "
                             f"{MAX_ISSUES} are reported per resource", "imaging-harness: issues per resource "
                             f"are capped at {MAX_ISSUES} so that a hostile input cannot make a huge answer"))


@dataclass(frozen=True, slots=True)
class Result:
    source: str  # "<file>", "<file>#entry[3]", "<file>#line[12]"
    resource_type: str | None
    id: str | None
    fhir_version: str
    issues: tuple[Issue, ...] = field(default=())

    @property
    def valid(self) -> bool:
        for i in self.issues:  # loops, not generator expressions: read several times per result
            if i.severity == ERROR:
                return False
        return True

    def count(self, severity: str) -> int:
        n = 0
        for i in self.issues:
            if i.severity == severity:
                n += 1
        return n

    def __reduce__(self):
        return Result, (self.source, self.resource_type, self.id, self.fhir_version, self.issues)

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "resourceType": self.resource_type,
            "id": self.id,
            "fhirVersion": self.fhir_version,
            "valid": self.valid,
            "issues": [i.as_dict() for i in self.issues],
        }
