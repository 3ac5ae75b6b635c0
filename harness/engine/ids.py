"""Ids the harness did not choose: the one gate a server-given id passes before the harness uses it
(in a URL, in the cleanup list, in a capture).

FHIR R5 5.0.0 / R4 4.0.1, Data Types, id: "Any combination of upper- or lower-case ASCII letters
('A'..'Z', and 'a'..'z', numerals ('0'..'9'), '-' and '.', with a length limit of 64 characters"
(regex `[A-Za-z0-9\\-\\.]{1,64}`). That grammar admits "." and "..", which RFC 3986 section 5.2.4
removes from a URL path as dot-segments ([base]/ImagingStudy/.. is [base]/ itself): such an id
cannot name a resource at [base]/[type]/[id] and is refused too.

A created resource's id comes from the body when the response has one and from the Location header
otherwise; when both are there they must agree (FHIR RESTful API, create: "The server returns a 201
Created HTTP status code, and SHALL also return a Location header which contains the new Logical Id
and Version Id of the created resource version").
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from harness.validation.references import ID_RE, TYPE_RE

SHOWN = 80  # characters of a hostile value shown in a message


def show(value) -> str:
    """A value as a message shows it: quoted, escaped, bounded."""
    text = repr(value) if isinstance(value, str) else f"a {type(value).__name__} {value!r}"
    if len(text) <= SHOWN:
        return text
    size = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return text[:SHOWN // 3] + "…" + text[-(SHOWN * 2 // 3):] + size  # a URL's end says the most


def id_problem(value) -> str | None:
    """Why value cannot be used as a resource id in a URL, or None when it can."""
    if not isinstance(value, str):
        return f"{show(value)} is not a FHIR id (not a string)"
    if value in (".", ".."):
        return (f"{show(value)} is not a FHIR id usable in a URL (a dot-segment, which RFC 3986 section "
                "5.2.4 removes from the path)")
    if not value:
        return "'' is not a FHIR id (empty)"
    if len(value) > 64:
        return f"{show(value)} is not a FHIR id (longer than 64 characters: {len(value)})"
    if not ID_RE.fullmatch(value):
        bad = next(c for c in value if not ID_RE.fullmatch(c))
        return f"{show(value)} is not a FHIR id (the character {bad!r} is outside [A-Za-z0-9-.])"
    return None


def ref_problem(ref) -> str | None:
    """Why ref is not a relative "Type/id" the harness may address, or None."""
    if not isinstance(ref, str) or ref.count("/") != 1:
        return f"{show(ref)} is not a reference of the form Type/id"
    rtype, rid = ref.split("/")
    if not TYPE_RE.fullmatch(rtype):
        return f"{show(ref)} does not start with a resource type"
    return id_problem(rid)


@dataclass(frozen=True)
class Location:
    rtype: str | None
    id: str | None
    version: str | None
    problem: str | None = None


def parse_location(loc: str) -> Location:
    """[base]/Type/id[/_history/vid] (absolute or relative), taken apart without trusting any part."""
    path = urlsplit(loc).path if "://" in loc else loc.split("?")[0].split("#")[0]
    segs = path.split("/")
    if len(segs) >= 4 and segs[-2] == "_history":
        rtype, rid, vid = segs[-4], segs[-3], segs[-1]
    elif len(segs) >= 2:
        rtype, rid, vid = segs[-2], segs[-1], None
    else:
        return Location(None, None, None, f"Location {show(loc)} does not have the form [base]/Type/id/_history/vid")
    return Location(rtype, rid, vid)


@dataclass(frozen=True)
class Created:
    """What a create's response says was created, and whether the harness may use it."""

    rtype: str
    id: str | None  # as the server gave it (may be unusable: see problem)
    version: str | None
    source: str  # where the id was read: "body", "Location", "body and Location", "request URL"
    problem: str | None = None  # why the id cannot be used; then ref is None
    version_problem: str | None = None

    @property
    def ref(self) -> str | None:
        return None if self.problem else f"{self.rtype}/{self.id}"

    def describe(self) -> str:
        """How the cleanup summary names it."""
        shown = f"with id {show(self.id)}" if self.id is not None else "(no id)"
        return self.ref or f"{self.rtype} {shown}, not deleted: {self.problem}"


def _body_version(body: dict):
    meta = body.get("meta")
    return meta.get("versionId") if isinstance(meta, dict) else None


def created(rtype: str, location: str | None, body, sent_id: str | None = None) -> Created:
    """The resource a create (or an update-as-create of sent_id) made, from the body when it is a
    resource of rtype with an id, else from the Location header; both must agree when both exist."""
    res = body if isinstance(body, dict) and body.get("resourceType") == rtype and "id" in body else None
    loc = parse_location(location) if location else None
    looked = (f"the body ({'a ' + rtype + ' with an id' if res else 'no ' + rtype + ' with an id'}) and "
              f"the Location header ({'present' if location else 'missing'})")
    if loc and not loc.problem and loc.rtype != rtype:
        loc = Location(None, None, None, f"Location {show(location)} does not have the form "
                       f"[base]/{rtype}/[id]/_history/[vid]")
    if res is not None and loc and loc.problem:
        body_problem = id_problem(res["id"])
        return Created(rtype, res["id"], _body_version(res), "body and Location",
                       f"{loc.problem}, and " + (f"the body's id {body_problem}" if body_problem else
                                                  f"the body's id is {show(res['id'])}") + "; neither is trusted")
    if res is None and (loc is None or loc.problem):
        if sent_id is not None:
            return Created(rtype, sent_id, None, "request URL", id_problem(sent_id))
        return Created(rtype, None, None, "none",
                       (loc.problem + "; " if loc else "") + f"no id: looked in {looked}")
    if res is not None and loc and not loc.problem:
        rid, version, source = res["id"], _body_version(res), "body and Location"
        if rid != loc.id:
            return Created(rtype, rid, version, source, f"the body's id {show(rid)} and the Location's id "
                           f"{show(loc.id)} disagree; neither is trusted")
        vp = None
        if version is not None and loc.version is not None and str(version) != loc.version:
            vp = (f"the body's meta.versionId {show(version)} and the Location's version "
                  f"{show(loc.version)} disagree")
        version = version if version is not None else loc.version
    elif res is not None:
        rid, version, source, vp = res["id"], _body_version(res), "body", None
    else:
        rid, version, source, vp = loc.id, loc.version, "Location", None
    if sent_id is not None and rid != sent_id:
        return Created(rtype, rid, version, source, f"the {source}'s id {show(rid)} is not the id "
                       f"{show(sent_id)} the request created")
    problem = id_problem(rid)
    if problem:
        problem = f"the id in the {source} is unusable: {problem}"
    if version is not None and vp is None and id_problem(str(version)):
        vp = f"the version in the {source} is unusable: {id_problem(str(version))}"
    return Created(rtype, rid, version, source, problem, vp)


def created_in_entry(rtype: str | None, entry) -> Created:
    """What a transaction or batch response entry says was created (rtype None: the Location's type)."""
    entry = entry if isinstance(entry, dict) else {}
    response = entry.get("response") if isinstance(entry.get("response"), dict) else {}
    location = response.get("location") if isinstance(response.get("location"), str) else None
    if rtype is None:
        rtype = parse_location(location).rtype if location else None
        if not isinstance(rtype, str) or not TYPE_RE.fullmatch(rtype):
            return Created("Resource", None, None, "none", f"entry location {show(location)} names no resource type")
    return created(rtype, location, entry.get("resource"))
