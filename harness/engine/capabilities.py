"""What the server claims in its CapabilityStatement, and whether a case's requirements are met."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.definitions import versions
from harness.engine.http import TransportError
from harness.engine.model import Requires

#: how a server states which modifiers a search parameter supports (the reference server uses it;
#: the core CapabilityStatement has no element for it)
MODIFIER_EXT = "urn:imaging-harness:search-modifier"


def _list(value) -> list:
    return value if isinstance(value, list) else []


def version_name(fhir_version: str | None) -> str | None:
    """The version a CapabilityStatement.fhirVersion names (the version table's run.fhirVersionPrefixes)."""
    return versions.named_by(fhir_version)


@dataclass(frozen=True)
class Capabilities:
    fhir_version: str | None
    software: str | None
    resources: dict = field(default_factory=dict)  # type → {"interactions", "searchParams", "operations"}
    system: frozenset = frozenset()
    operations: frozenset = frozenset()
    #: definition url -> SearchParameter.chain as the server serves it (None: not readable); filled on
    #: first use by `search_parameter`, a callable url -> the server's SearchParameter or None
    search_parameter: object = field(default=None, compare=False)
    _chains: dict = field(default_factory=dict, compare=False)

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
                    # what a reference parameter's chain is decided from: its type and claimed definition
                    "paramTypes": {p.get("name"): p.get("type") for p in r.get("searchParam") or []
                                   if isinstance(p, dict)},
                    "definitions": {p.get("name"): p.get("definition") for p in r.get("searchParam") or []
                                    if isinstance(p, dict) and isinstance(p.get("definition"), str)},
                    "include": {v for v in _list(r.get("searchInclude")) if isinstance(v, str)},
                    "revinclude": {v for v in _list(r.get("searchRevInclude")) if isinstance(v, str)},
                }
        sw = cs.get("software") if isinstance(cs.get("software"), dict) else {}
        software = " ".join(v for v in (sw.get("name"), sw.get("version")) if isinstance(v, str) and v)
        version = cs.get("fhirVersion") if isinstance(cs.get("fhirVersion"), str) else None
        return cls(version, software or None,
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
            if req.unclaimed != "strict":
                missing = self.unclaimed(req)
                if missing:
                    return "; ".join(missing)
        else:
            for o in req.operations:
                if o not in self.operations and not any(o in r["operations"] for r in self.resources.values()):
                    return f"CapabilityStatement does not claim operation ${o}"
        return None

    # ------------------------------------------------------------ _include, _revinclude, chains

    def unclaimed(self, req: Requires) -> list[str]:
        """The includes, revincludes and chains the case uses that the server does not claim, each with
        where the claim would be (empty: all claimed). A server may ignore what it does not support
        (FHIR search.html#errors), so a case may rely only on what is claimed."""
        r = self.resources.get(req.resource or "")
        if r is None:
            return []
        out = []
        for spec in req.include:
            if spec not in r["include"] and "*" not in r["include"]:
                out.append(f"CapabilityStatement does not claim _include={spec} "
                           f"(rest.resource.searchInclude of {req.resource})")
        for spec in req.revinclude:
            if spec not in r["revinclude"] and "*" not in r["revinclude"]:
                out.append(f"CapabilityStatement does not claim _revinclude={spec} "
                           f"(rest.resource.searchRevInclude of {req.resource})")
        for chain in req.chains:
            why = self._chain_unclaimed(req.resource, chain)
            if why:
                out.append(why)
        return out

    def _chain_unclaimed(self, rtype: str, chain: str) -> str | None:
        """A chain `param[:Type].name` is claimed when `param` is a claimed reference parameter whose
        claimed definition, as the server serves it, lists `name` in SearchParameter.chain ("Chained
        names supported"; the element exists in R4, R4B and R5 alike)."""
        head, _, name = chain.partition(".")
        param = head.split(":")[0]
        r = self.resources[rtype]
        if param not in r["searchParams"] or r["paramTypes"].get(param) != "reference":
            return f"CapabilityStatement does not claim {rtype} reference parameter {param!r} (chain {chain})"
        url = r["definitions"].get(param)
        if not url:
            return (f"chaining {rtype}?{chain} is not claimed: the CapabilityStatement gives {param!r} no "
                    f"definition whose SearchParameter.chain could declare it")
        if url not in self._chains:
            found = self.search_parameter(url) if callable(self.search_parameter) else None
            chains = found.get("chain") if isinstance(found, dict) else None
            self._chains[url] = ({c for c in chains if isinstance(c, str)} if isinstance(chains, list)
                                 else set() if isinstance(found, dict) else None)
        declared = self._chains[url]
        if declared is None:
            return (f"chaining {rtype}?{chain} is not claimed: the server's SearchParameter {url} is not "
                    f"readable, so no SearchParameter.chain declares it")
        if name.split(":")[0] not in declared:
            return f"chaining {rtype}?{chain} is not claimed: SearchParameter {url} does not list {name!r} in chain"
        return None


def definition_reader(caps: Capabilities, client):
    """url -> the server's SearchParameter with that url, or None: by GET SearchParameter?url= when the
    CapabilityStatement claims that search, else by read when the url is one of the server's own."""
    claim = caps.resources.get("SearchParameter") or {}
    by_search = "search-type" in claim.get("interactions", ()) and "url" in claim.get("searchParams", ())
    by_read = "read" in claim.get("interactions", ())

    def read(url: str):
        try:
            if by_search:
                body = client.request("GET", "SearchParameter", query={"url": url}).json()
                for e in (body.get("entry") or []) if isinstance(body, dict) else []:
                    r = e.get("resource") if isinstance(e, dict) else None
                    if isinstance(r, dict) and r.get("resourceType") == "SearchParameter" and r.get("url") == url:
                        return r
            elif by_read and url.startswith(client.base.rstrip("/") + "/SearchParameter/"):
                r = client.request("GET", url)
                body = r.json() if r.status == 200 else None
                if isinstance(body, dict) and body.get("resourceType") == "SearchParameter":
                    return body
        except TransportError:  # the definition is not readable
            return None
        return None
    return read
