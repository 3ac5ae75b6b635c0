"""Values every check produces: one Issue per finding, one Result per validated resource."""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"
INFORMATION = "information"
SEVERITIES = (ERROR, WARNING, INFORMATION)


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

    def as_dict(self) -> dict:
        return {
            "severity": self.severity,
            "rule": self.rule,
            "location": self.location,
            "message": self.message,
            "requirement": self.requirement,
        }


@dataclass(frozen=True, slots=True)
class Result:
    source: str  # "<file>", "<file>#entry[3]", "<file>#line[12]"
    resource_type: str | None
    id: str | None
    fhir_version: str
    issues: tuple[Issue, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return not any(i.severity == ERROR for i in self.issues)

    def count(self, severity: str) -> int:
        return sum(1 for i in self.issues if i.severity == severity)

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "resourceType": self.resource_type,
            "id": self.id,
            "fhirVersion": self.fhir_version,
            "valid": self.valid,
            "issues": [i.as_dict() for i in self.issues],
        }
