# imaging-harness: compiled
"""DICOMweb and IHE IID endpoint addresses (ImagingStudy R4 §Endpoint, seed 002)."""

from __future__ import annotations

from typing import Iterator
from urllib.parse import urlsplit

from harness.imaging.paths import codes, items, text
from harness.imaging.rules import Subject, check
from harness.imaging.uids import identifier_uid, uids_at
from harness.validation.catalog import reports, rule
from harness.validation.issues import ERROR, WARNING, Issue

#: the URLs of HL7's Endpoint connection type code system: R4 and later name it on
#: terminology.hl7.org, STU3 3.0.2 as http://hl7.org/fhir/endpoint-connection-type (same codes)
CONNECTION_TYPES = frozenset({"http://terminology.hl7.org/CodeSystem/endpoint-connection-type",
                              "http://hl7.org/fhir/endpoint-connection-type"})
# the DICOMweb resource segments (PS3.18 §10.4), and 'study', the sub-service the cited text names
_SUB_SERVICES = {"study", "studies", "series", "instances", "frames", "bulkdata", "rendered", "metadata",
                 "thumbnail"}
_WADO_RS = ("WADO-RS: 'only the scheme, authority and path are included. Sub-services, such as study, "
            "shall not be specified. The path shall not contain a trailing slash.'")
_NO_QUERY = "WADO-URI and IID: 'Neither a question mark (\"?\") nor any query parameters shall be included.'"
_IID_LEVEL = "'An IID-type Endpoint should be used only at the study level.'"


def connection_types(endpoint: dict) -> set[str]:
    return {c for sys, c in codes(endpoint.get("connectionType")) if sys is None or sys in CONNECTION_TYPES}


def address_problems(types: set[str], address: str) -> Iterator[tuple[str, str]]:
    """(problem, requirement words) for an address under the given connection types."""
    if "dicom-wado-rs" in types:
        parts = urlsplit(address)
        if parts.query or parts.fragment or "?" in address or "#" in address:
            yield f"WADO-RS address {address!r} has a query or fragment; only scheme, authority and path", _WADO_RS
        raw = [seg for seg in parts.path.split("/") if seg]
        subs = [seg for seg in raw if seg.lower() in _SUB_SERVICES]
        if subs:
            yield (f"WADO-RS address {address!r} names the sub-service '/{subs[0]}'; give the service base only "
                   "(the client appends /studies/<uid>/series/<uid>/...)"), _WADO_RS
        if parts.path.endswith("/"):
            yield f"WADO-RS address {address!r} ends with a slash", _WADO_RS
    if types & {"dicom-wado-uri", "ihe-iid"} and "?" in address:
        kind = "WADO-URI" if "dicom-wado-uri" in types else "IID"
        yield f"{kind} address {address!r} contains '?' or a query", _NO_QUERY


def uid_segment_problem(types: set[str], address: str, uids: frozenset[str], whose: str) -> str | None:
    """A WADO-RS address with a path segment that is one of the DICOM UIDs of the resource pointing
    to it (whose: what that resource is) names that study, series or instance: not a service base."""
    if "dicom-wado-rs" not in types:
        return None
    named = [seg for seg in urlsplit(address).path.split("/") if seg in uids]
    if not named:
        return None
    return (f"WADO-RS address {address!r} has the segment {named[0]}, a UID of {whose}: it names a study, "
            "series or instance, not the service base")


@check("endpoint")
@rule("imaging.endpoint-address", ERROR, "DICOM endpoint address breaks the connection type's URL rule",
      f"ImagingStudy R4 §Endpoint (seed 002): {_WADO_RS} (a path segment 'study', a DICOMweb resource name, or a UID "
      f"of the study that points to the endpoint names a sub-service); {_NO_QUERY}")
def endpoint_address(s: Subject) -> Iterator[Issue]:
    address = text(s.resource, "address")
    if address is not None:
        for problem, words in address_problems(connection_types(s.resource), address):
            yield s.issue("imaging.endpoint-address", f"{s.rtype}.address", problem, words)


def _resource_uids(s: Subject) -> frozenset[str]:
    """Every DICOM UID the resource carries: at its UID paths and in its urn:dicom:uid identifiers."""
    found = {uid for path, form in s.spec.get("uids", ()) for _, uid, _ in uids_at(s.resource, path, form, s.rtype)
             if uid}
    found.update(u for path in s.spec.get("identifiers", ()) for u in map(identifier_uid, s.values(path)) if u)
    return frozenset(found)


def _endpoints_fine(s: Subject) -> bool:
    """series_endpoints reports nothing: no study or series endpoint is a '#' reference or resolves
    (a contained or context Endpoint is left to the check).

    Measured (docs/shortcuts.md: `python benchmarks/bench_shortcuts.py --n 2000`, two runs, the
    compiled build, CPU time per resource): without it the imaging rules take 102 µs more on large
    R4 (67–68% of the whole validation's 150–154 µs), 54–56 µs on large R5 (38%), 17 µs on small
    R4 (32–33%) and 4.5–5.2 µs on small R5 (9–10%)."""
    st = s.spec["study"]
    for ref in s.values(st["endpoint"]) + s.values(f"{st['series']}.{st['seriesEndpoint']}"):
        target = ref.get("reference") if isinstance(ref, dict) else None
        if isinstance(target, str) and (target.startswith("#") or s.resolver.resolve(target, s.full_url) is not None):
            return False  # it may resolve (a contained one is looked up by the check)
    return True


@check("study", fine=_endpoints_fine)
@rule("imaging.endpoint-level", WARNING, "IHE IID endpoint used at series level",
      f"ImagingStudy R4 §Endpoint (seed 002): {_IID_LEVEL}")
@reports("imaging.endpoint-address")
def series_endpoints(s: Subject) -> Iterator[Issue]:
    """Endpoints a study points to: addresses of contained ones, and IID endpoints at series level."""
    st = s.spec["study"]
    uids = _resource_uids(s)
    for loc, ref in s.items(st["endpoint"]):
        yield from _address_issues(s, loc, ref, uids)
    if not any(isinstance(ref, dict) for ref in s.values(f"{st['series']}.{st['seriesEndpoint']}")):
        return  # no series names an endpoint (the loop below would find none)
    for sloc, series in s.items(st["series"]):
        for loc, ref in items(series, st["seriesEndpoint"], sloc):
            endpoint, _ = s.resolve(ref)
            if endpoint is None:
                continue
            yield from _address_issues(s, loc, ref, uids, endpoint)
            if "ihe-iid" in connection_types(endpoint):
                yield s.issue("imaging.endpoint-level", loc, "an IHE IID endpoint referenced from a series",
                              _IID_LEVEL)


def _address_issues(s: Subject, loc: str, ref: dict, uids: frozenset[str],
                    endpoint: dict | None = None) -> Iterator[Issue]:
    """Address problems of an Endpoint the study points to: every problem of a contained one; of one
    found elsewhere (Bundle, directory, server) only a UID of this study in its path, as the rest
    is reported on that Endpoint itself."""
    if endpoint is None:
        endpoint, _ = s.resolve(ref)
    if not isinstance(endpoint, dict):
        return
    types, address = connection_types(endpoint), text(endpoint, "address") or ""
    reference = str(ref.get("reference"))
    if reference.startswith("#"):
        for problem, words in address_problems(types, address):
            yield s.issue("imaging.endpoint-address", loc, f"contained Endpoint: {problem}", words)
    problem = uid_segment_problem(types, address, uids, f"this {s.rtype}")
    if problem is not None:
        shown = "contained Endpoint" if reference.startswith("#") else f"Endpoint {reference}"
        yield s.issue("imaging.endpoint-address", loc, f"{shown}: {problem}", _WADO_RS)
