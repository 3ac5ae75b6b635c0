"""#24.1: what a case may rely on is decided from the CapabilityStatement: _include and _revinclude by
searchInclude / searchRevInclude, a chain by the claimed reference parameter's definition as the server
serves it (SearchParameter.chain); what is not claimed is skipped with the reason or run under strict."""

from __future__ import annotations

import dataclasses

from harness.engine.capabilities import Capabilities, definition_reader
from harness.engine.http import Client, ClientConfig
from harness.engine.model import Requires

from .loopback import serve


def _cs_with_subject(definition: str | None, sp_claim: bool) -> dict:
    subject = {"name": "subject", "type": "reference", **({"definition": definition} if definition else {})}
    study = {"type": "ImagingStudy", "interaction": [{"code": "search-type"}],
             "searchParam": [subject, {"name": "identifier", "type": "token"}],
             "searchInclude": ["ImagingStudy:subject"]}
    resources = [study] + ([{"type": "SearchParameter", "interaction": [{"code": "search-type"}],
                             "searchParam": [{"name": "url", "type": "uri"}]}] if sp_claim else [])
    return {"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1",
            "rest": [{"mode": "server", "resource": resources}]}


def test_includes_and_chains_are_decided_by_the_capability_statement():
    """#24.1: _include / _revinclude by searchInclude / searchRevInclude; a chain by the claimed reference
    parameter's definition as the server serves it (SearchParameter.chain), else unclaimed."""
    url = "http://example.org/SearchParameter/study-subject"
    served = {url: {"resourceType": "SearchParameter", "url": url, "chain": ["identifier"]}}
    caps = dataclasses.replace(Capabilities.parse(_cs_with_subject(url, True)), search_parameter=served.get)
    req = Requires(resource="ImagingStudy", include=("ImagingStudy:subject",),
                   revinclude=("ImagingSelection:derived-from",), chains=("subject.identifier", "subject:Patient.name"))
    missing = caps.unclaimed(req)
    assert missing == ["CapabilityStatement does not claim _revinclude=ImagingSelection:derived-from "
                       "(rest.resource.searchRevInclude of ImagingStudy)",
                       f"chaining ImagingStudy?subject:Patient.name is not claimed: SearchParameter {url} does not "
                       "list 'name' in chain"]
    assert caps.unmet(req) == "; ".join(missing)
    assert caps.unmet(dataclasses.replace(req, unclaimed="strict")) is None  # run under strict instead
    # the definition cannot be read: chaining is not claimed
    unreadable = dataclasses.replace(Capabilities.parse(_cs_with_subject(url, True)), search_parameter=lambda u: None)
    assert "is not readable" in unreadable.unclaimed(Requires(resource="ImagingStudy", chains=("subject.identifier",)))[0]
    # no definition at all, or not a reference parameter
    bare = Capabilities.parse(_cs_with_subject(None, False))
    assert "no definition" in bare.unclaimed(Requires(resource="ImagingStudy", chains=("subject.identifier",)))[0]
    assert "reference parameter 'identifier'" in bare.unclaimed(
        Requires(resource="ImagingStudy", chains=("identifier.value",)))[0]


def test_chain_definitions_are_read_only_when_the_server_claims_them():
    url = "http://example.org/SearchParameter/study-subject"
    sp = {"resourceType": "SearchParameter", "url": url, "chain": ["identifier"]}
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": sp}]}
    req = Requires(resource="ImagingStudy", interactions=("search-type",), chains=("subject.identifier",))
    for claimed in (True, False):
        with serve({"/metadata": (200, {}, _cs_with_subject(url, claimed)),
                    "/SearchParameter": (200, {}, bundle)}) as srv:
            client = Client(ClientConfig(srv.base))
            caps = Capabilities.parse(_cs_with_subject(url, claimed))
            caps = dataclasses.replace(caps, search_parameter=definition_reader(caps, client))
            assert (caps.unmet(req) is None) == claimed, caps.unmet(req)
            assert [r["path"].split("?")[0] for r in srv.requests] == (["/SearchParameter"] if claimed else [])
