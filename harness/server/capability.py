"""The CapabilityStatement: generated from what the server implements (the parameter catalog)."""

from __future__ import annotations

from harness.server.indexing import MODIFIERS, Param

FHIR_VERSION = {"r4": "4.0.1", "r5": "5.0.0"}
INTERACTIONS = ("read", "vread", "update", "delete", "history-instance", "create", "search-type")
MODIFIER_EXT = "urn:imaging-harness:search-modifier"


def _modifiers(p: Param, types) -> list[str]:
    out = []
    for m in MODIFIERS[p.type]:
        if m == "<type>":
            out.extend(t for t in p.targets if t in types)
        else:
            out.append(m)
    return out


def _search_param(p: Param, types) -> dict:
    mods = _modifiers(p, types)
    sp = {"name": p.code, "type": p.type,
          "documentation": f"expression: {p.expression}; modifiers: {', '.join(':' + m for m in mods)}"}
    if p.url:
        sp["definition"] = p.url
    sp["extension"] = [{"url": MODIFIER_EXT, "valueCode": m} for m in mods]
    return sp


def statement(server, base: str) -> dict:
    cat = server.cat
    resources = []
    for rtype in cat.types:
        params = sorted(cat.params[rtype].values(), key=lambda p: p.code)
        refs = [p.code for p in params if p.type == "reference"]
        searchable = [_search_param(p, cat.types) for p in params]
        if "capability-lies" in server.faults:
            searchable.append({"name": "_text", "type": "string", "definition":
                               "http://hl7.org/fhir/SearchParameter/DomainResource-text",
                               "documentation": "full-text search of the narrative"})
        entry = {
            "type": rtype,
            "interaction": [{"code": c} for c in INTERACTIONS],
            "versioning": "versioned-update",
            "readHistory": True,
            "updateCreate": True,
            "conditionalCreate": True,
            "conditionalRead": "not-supported",
            "conditionalUpdate": False,
            "conditionalDelete": "not-supported",
            "searchInclude": [f"{rtype}:{c}" for c in refs],
            "searchRevInclude": sorted(f"{t}:{p.code}" for t in cat.types for p in cat.params[t].values()
                                       if p.type == "reference" and (rtype in p.targets or not p.targets)),
            "searchParam": searchable,
            "operation": [{"name": "validate",
                           "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate"}],
        }
        resources.append({k: v for k, v in entry.items() if v != []})
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-01-01",
        "publisher": "imaging-harness",
        "kind": "instance",
        "software": {"name": "imaging-harness reference server"},
        "implementation": {"description": "imaging-harness reference FHIR imaging server"
                           + (f" (faults: {', '.join(server.faults)})" if server.faults else ""),
                           "url": base},
        "fhirVersion": FHIR_VERSION[server.version],
        "format": ["application/fhir+json", "application/json"],
        "rest": [{
            "mode": "server",
            "documentation": "Search result parameters: _count, _sort (also -param), _include, "
                             "_include:iterate, _revinclude, _revinclude:iterate, _summary (true, text, data, count, "
                             "false), _elements, _total "
                             "(none|estimate|accurate); chaining on any reference parameter "
                             "(e.g. patient.identifier); Prefer: handling=strict rejects unknown parameters.",
            "resource": resources,
            "interaction": [{"code": "transaction"}, {"code": "batch"}],
            "operation": [{"name": "validate",
                           "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate"}],
        }],
    }
