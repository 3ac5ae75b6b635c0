"""What the server claims in its CapabilityStatement, and whether a case's requirements are met."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.engine.model import Requires

VERSION_PREFIX = (("4.0", "r4"), ("4.3", "r4b"), ("5.0", "r5"), ("4.1", "r4b"))
#: how a server states which modifiers a search parameter supports (the reference server uses it;
#: the core CapabilityStatement has no element for it)
MODIFIER_EXT = "urn:imaging-harness:search-modifier"


def version_name(fhir_version: str | None) -> str | None:
    for prefix, name in VERSION_PREFIX:
        if fhir_version and fhir_version.startswith(prefix):
            return name
    return None


@dataclass(frozen=True)
class Capabilities:
    fhir_version: str | None
    software: str | None
    resources: dict = field(default_factory=dict)  # type → {"interactions", "searchParams", "operations"}
    system: frozenset = frozenset()
    operations: frozenset = frozenset()

    @classmethod
    def parse(cls, cs: dict) -> "Capabilities":
        resources, system, ops = {}, set(), set()
        for rest in cs.get("rest") or []:
            if not isinstance(rest, dict) or rest.get("mode") != "server":
                continue
            system |= {i.get("code") for i in rest.get("interaction") or [] if isinstance(i, dict)}
            ops |= {o.get("name") for o in rest.get("operation") or [] if isinstance(o, dict)}
            for r in rest.get("resource") or []:
                if not isinstance(r, dict) or not isinstance(r.get("type"), str):
                    continue
                resources[r["type"]] = {
                    "interactions": {i.get("code") for i in r.get("interaction") or [] if isinstance(i, dict)},
                    "searchParams": {p.get("name") for p in r.get("searchParam") or [] if isinstance(p, dict)},
                    "operations": {o.get("name") for o in r.get("operation") or [] if isinstance(o, dict)},
                    "updateCreate": r.get("updateCreate") is True,
                    "modifiers": {p.get("name"): {e.get("valueCode") for e in p.get("extension") or []
                                                  if isinstance(e, dict) and e.get("url") == MODIFIER_EXT}
                                  for p in r.get("searchParam") or [] if isinstance(p, dict)},
                }
        sw = cs.get("software") if isinstance(cs.get("software"), dict) else {}
        return cls(cs.get("fhirVersion"), " ".join(filter(None, [sw.get("name"), sw.get("version")])) or None,
                   resources, frozenset(system), frozenset(ops))

    @property
    def version(self) -> str | None:
        return version_name(self.fhir_version)

    def unmet(self, req: Requires) -> str | None:
        """Why the server does not claim what the case needs, or None when it does."""
        for code in req.system:
            if code not in self.system:
                return f"CapabilityStatement does not claim the system interaction {code!r}"
        if req.resource:
            r = self.resources.get(req.resource)
            if r is None:
                return f"CapabilityStatement does not list the resource type {req.resource}"
            for code in req.interactions:
                if code not in r["interactions"]:
                    return f"CapabilityStatement does not claim {req.resource} interaction {code!r}"
            if req.updateCreate and not r.get("updateCreate"):
                return (f"CapabilityStatement does not claim updateCreate for {req.resource} "
                        "(rest.resource.updateCreate: update to a new id creates the resource)")
            for p in req.searchParams:
                if p not in r["searchParams"]:
                    return f"CapabilityStatement does not claim {req.resource} search parameter {p!r}"
            for o in req.operations:
                if o not in r["operations"] and o not in self.operations:
                    return f"CapabilityStatement does not claim operation ${o} on {req.resource}"
        else:
            for o in req.operations:
                if o not in self.operations and not any(o in r["operations"] for r in self.resources.values()):
                    return f"CapabilityStatement does not claim operation ${o}"
        return None
