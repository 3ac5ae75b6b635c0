"""The CapabilityStatement: generated from what the server implements (the parameter catalog)."""

from __future__ import annotations

import re
from html import escape

from harness.definitions import versions
from harness.server.indexing import MODIFIERS, Param
from harness.server.outcome import FhirError

INTERACTIONS = ("read", "vread", "update", "delete", "history-instance", "create", "search-type")
MODIFIER_EXT = "urn:imaging-harness:search-modifier"
#: elements a version's SearchParameter needs beside the common ones come from the version table's
#: server.searchParameter (R5 spd-1: "If an expression is present, there SHALL be a processingMode")


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
            "searchInclude": [f"{rtype}:{c}" for c in refs] if cat.includes else [],
            "searchRevInclude": sorted(f"{t}:{p.code}" for t in cat.types for p in cat.params[t].values()
                                       if p.type == "reference" and (rtype in p.targets or not p.targets))
            if cat.includes else [],
            "searchParam": searchable,
            "operation": [{"name": "validate",
                           "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate"}],
        }
        resources.append({k: v for k, v in entry.items() if v != []})
    resources.append({"type": "SearchParameter", "interaction": [{"code": "read"}, {"code": "search-type"}],
                      "documentation": "the definitions of the parameters above, with the chains supported",
                      "searchParam": [{"name": "url", "type": "uri",
                                       "definition": "http://hl7.org/fhir/SearchParameter/conformance-url"}]})
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
        "fhirVersion": versions.row(server.version).fhir_version,
        "format": ["application/fhir+json", "application/json"],
        "rest": [{
            "mode": "server",
            "documentation": "Search result parameters: _count, _sort (also -param), _include, "
                             "_include:iterate, _revinclude, _revinclude:iterate, _summary (true, text, data, count, "
                             "false), _elements, _total "
                             "(none|estimate|accurate); chaining as each SearchParameter's chain "
                             "declares (e.g. patient.identifier); Prefer: handling=strict rejects unknown "
                             "and unsupported parameters.",
            "resource": resources,
            "interaction": [{"code": "transaction"}, {"code": "batch"}],
            "operation": [{"name": "validate",
                           "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate"}],
        }],
    }


def _definitions(server, base: str) -> dict[str, dict]:
    """The SearchParameter resources behind the claimed parameters, by url: one per definition (a shared
    definition lists every base it serves here), `chain` naming the parameters a chain may continue
    with (those of the target types this server holds); no chain when chaining is not supported."""
    cat, out = server.cat, {}
    extra = versions.row(server.version).server["searchParameter"]
    for rtype in cat.types:
        for p in cat.params[rtype].values():
            url = p.url or f"{base}/SearchParameter/{rtype}-{p.code}"
            sp = out.setdefault(url, {
                "resourceType": "SearchParameter", "id": url.rstrip("/").rsplit("/", 1)[-1],
                "text": {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">Search '
                                                        f'parameter {escape(p.code)} ({p.type})</div>'},
                "url": url, "name": "".join(w.capitalize() for w in re.split(r"[^A-Za-z0-9]+", p.code) if w),
                "status": "active", "description": f"{p.code} as this server implements it", "code": p.code,
                "base": [], "type": p.type, "expression": p.expression, **extra})
            sp["base"].append(rtype)
            if p.expression not in sp["expression"].split(" | "):
                sp["expression"] += " | " + p.expression
            if p.type == "reference" and cat.chaining:
                names = {c for t in p.targets if t in cat.types for c in cat.params[t]}
                if names:
                    sp["chain"] = sorted(set(sp.get("chain", ())) | names)
            if p.targets:
                sp["target"] = sorted(set(sp.get("target", ())) | set(p.targets))
    return out


def search_parameters(server, base: str, rid: str | None, query: list[tuple[str, str]], strict: bool) -> dict:
    """GET SearchParameter/[id] and GET SearchParameter?url=... (also _id, code, base)."""
    defs = _definitions(server, base)
    if rid is not None:
        found = next((sp for sp in defs.values() if sp["id"] == rid), None)
        if found is None:
            raise FhirError(404, f"SearchParameter/{rid} is not known here", code="not-found")
        return found
    picked = list(defs.values())
    fields = {"url": "url", "_id": "id", "code": "code", "base": "base"}
    for name, value in query:
        if name in fields:
            wanted = set(value.split(","))
            picked = [sp for sp in picked if wanted & set(sp[fields[name]] if name == "base" else [sp[fields[name]]])]
        elif strict and name not in ("_count", "_format", "_pretty"):
            raise FhirError(400, f"unknown search parameter {name!r} for SearchParameter", code="not-supported")
    return {"resourceType": "Bundle", "type": "searchset", "total": len(picked),
            "link": [{"relation": "self", "url": f"{base}/SearchParameter"}],
            "entry": [{"fullUrl": f"{base}/SearchParameter/{sp['id']}", "resource": sp, "search": {"mode": "match"}}
                      for sp in picked]}
