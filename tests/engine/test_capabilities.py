"""Capability discovery against a scripted server: what the CapabilityStatement does not claim is
skipped with the reason, --fhir-version auto follows fhirVersion, and a server that does not speak FHIR
ends the run with exit code 3."""

from __future__ import annotations

from harness.engine.capabilities import Capabilities
from harness.engine.loader import load_cases
from harness.engine.model import Requires
from harness.engine.session import RunOptions, execute

from .loopback import capability, serve


def test_unclaimed_capabilities_skip_with_reason():
    cs = capability("4.0.1", {"ImagingStudy": (["read"], [])}, system=())
    with serve({"/metadata": (200, {}, cs)}) as srv:
        result, code = execute(load_cases(suites=["crud", "search"]), RunOptions(server=srv.base))
    assert code == 0 and result.fhir_version == "4.0.1"
    assert all(c.status == "skipped" for c in result.cases)
    reasons = {c.case.id: c.message for c in result.cases}
    assert reasons["crud.imagingstudy.create-read"] == "CapabilityStatement does not claim ImagingStudy interaction 'create'"
    assert reasons["crud.imagingselection.create-read"] == "applies to r5; the server is r4"
    assert "search parameter 'identifier'" in reasons["search.imagingstudy.identifier"] or \
        "interaction 'search-type'" in reasons["search.imagingstudy.identifier"]
    assert "claims neither transaction nor create for" in reasons["crud.imagingstudy.read-etag"]
    assert [r["path"] for r in srv.requests] == ["/metadata"]  # nothing else was sent


def test_claimed_but_missing_fails():
    cs = capability("5.0.0", {"Patient": (["read"], [])})
    with serve({"/metadata": (200, {}, cs)}) as srv:
        result, code = execute(load_cases(case_ids=["cap.imagingstudy-declared"]), RunOptions(server=srv.base))
    assert code == 1 and result.cases[0].status == "failed"


def test_not_fhir_is_exit_3():
    with serve({"/metadata": (200, {"Content-Type": "text/html"}, b"<html>hello</html>")}) as srv:
        result, code = execute(load_cases(case_ids=["cap.metadata"]), RunOptions(server=srv.base))
    assert code == 3 and "not a FHIR server" in result.message


def test_requires_parsing():
    caps = Capabilities.parse(capability("5.0.0", {"ImagingStudy": (["read", "search-type"], ["modality"])},
                                         system=("batch",)))
    assert caps.version == "r5"
    assert caps.unmet(Requires("ImagingStudy", ("read",), ("modality",))) is None
    assert "transaction" in caps.unmet(Requires(system=("transaction",)))
    assert "'started'" in caps.unmet(Requires("ImagingStudy", (), ("started",)))
    assert "ImagingSelection" in caps.unmet(Requires("ImagingSelection"))

