"""DICOMweb and IHE IID endpoint addresses (ImagingStudy R4 §Endpoint, seed 002)."""

from __future__ import annotations

from typing import Iterator
from urllib.parse import urlsplit

from harness.imaging.paths import codes, items, text
from harness.imaging.rules import Subject, check
from harness.validation.issues import Issue

#: the URLs of HL7's Endpoint connection type code system: R4 and later name it on
#: terminology.hl7.org, STU3 3.0.2 as http://hl7.org/fhir/endpoint-connection-type (same codes)
CONNECTION_TYPES = frozenset({"http://terminology.hl7.org/CodeSystem/endpoint-connection-type",
                              "http://hl7.org/fhir/endpoint-connection-type"})
_SUB_SERVICES = {"studies", "series", "instances", "frames", "bulkdata", "rendered", "metadata", "thumbnail"}
_WADO_RS = ("WADO-RS: 'only the scheme, authority and path are included. Sub-services, such as study, "
            "shall not be specified. The path shall not contain a trailing slash.'")
_NO_QUERY = "WADO-URI and IID: 'Neither a question mark (\"?\") nor any query parameters shall be included.'"


def connection_types(endpoint: dict) -> set[str]:
    return {c for sys, c in codes(endpoint.get("connectionType")) if sys is None or sys in CONNECTION_TYPES}


def address_problems(types: set[str], address: str) -> Iterator[tuple[str, str]]:
    """(problem, requirement words) for an address under the given connection types."""
    if "dicom-wado-rs" in types:
        parts = urlsplit(address)
        if parts.query or parts.fragment or "?" in address or "#" in address:
            yield f"WADO-RS address {address!r} has a query or fragment; only scheme, authority and path", _WADO_RS
        segments = [seg.lower() for seg in parts.path.split("/") if seg]
        subs = [seg for seg in segments if seg in _SUB_SERVICES]
        if subs:
            yield f"WADO-RS address {address!r} names the sub-service '/{subs[0]}'; give the service base only", _WADO_RS
        if parts.path.endswith("/"):
            yield f"WADO-RS address {address!r} ends with a slash", _WADO_RS
    if types & {"dicom-wado-uri", "ihe-iid"} and "?" in address:
        kind = "WADO-URI" if "dicom-wado-uri" in types else "IID"
        yield f"{kind} address {address!r} contains '?' or a query", _NO_QUERY


@check("endpoint")
def endpoint_address(s: Subject) -> Iterator[Issue]:
    address = text(s.resource, "address")
    if address is not None:
        for problem, words in address_problems(connection_types(s.resource), address):
            yield s.issue("imaging.endpoint-address", f"{s.rtype}.address", problem, words)


def _endpoints_fine(s: Subject) -> bool:
    """series_endpoints reports nothing: no study endpoint is a '#' reference, and no series
    endpoint resolves (a contained or context Endpoint is left to the check)."""
    st = s.spec["study"]
    if any(isinstance(ref, dict) and str(ref.get("reference")).startswith("#") for ref in s.values(st["endpoint"])):
        return False
    for ref in s.values(f"{st['series']}.{st['seriesEndpoint']}"):
        target = ref.get("reference") if isinstance(ref, dict) else None
        if isinstance(target, str) and (target.startswith("#") or s.resolver.resolve(target, s.full_url) is not None):
            return False  # it may resolve (a contained one is looked up by the check)
    return True


@check("study", fine=_endpoints_fine)
def series_endpoints(s: Subject) -> Iterator[Issue]:
    """Endpoints a study points to: addresses of contained ones, and IID endpoints at series level."""
    st = s.spec["study"]
    for loc, ref in s.items(st["endpoint"]):
        endpoint, _ = s.resolve(ref)
        if isinstance(endpoint, dict) and str(ref.get("reference")).startswith("#"):
            for problem, words in address_problems(connection_types(endpoint), text(endpoint, "address") or ""):
                yield s.issue("imaging.endpoint-address", loc, f"contained Endpoint: {problem}", words)
    if not any(isinstance(ref, dict) for ref in s.values(f"{st['series']}.{st['seriesEndpoint']}")):
        return  # no series names an endpoint (the loop below would find none)
    for sloc, series in s.items(st["series"]):
        for loc, ref in items(series, st["seriesEndpoint"], sloc):
            endpoint, _ = s.resolve(ref)
            if endpoint is None:
                continue
            if "ihe-iid" in connection_types(endpoint):
                yield s.issue("imaging.endpoint-level", loc, "an IHE IID endpoint referenced from a series",
                              "'An IID-type Endpoint should be used only at the study level.'")
