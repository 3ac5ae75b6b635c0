# imaging-harness: compiled
"""Where imaging rules find the other resources they need: one small interface, several sources.

A rule never fetches anything itself; it asks a Resolver. The same rule therefore runs on a single
file (nothing to resolve but contained resources), a Bundle (entries by fullUrl and by Type/id), a
directory or ``--context`` folder (every resource in it), and a live server (``FetchResolver``, fed
by the engine's HTTP client).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Iterable, Protocol

import orjson

from harness.imaging.uids import OID_PREFIX, study_uids

_TYPE_ID = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$")


@lru_cache(maxsize=1)
def _study_uid_keys() -> tuple[str, ...]:
    """The elements where some version's ImagingStudy keeps its Study Instance UID besides its
    urn:dicom:uid identifiers (tables.json 'study' 'studyUid': STU3 'uid', an oid)."""
    from harness.imaging.rules import _tables, table  # here: rules imports this module
    keys = {((table(v).get("ImagingStudy") or {}).get("study") or {}).get("studyUid") for v in _tables()["versions"]}
    return tuple(sorted(k for k in keys if k))


def indexed_study_uids(study: dict) -> list[str]:
    """Every Study Instance UID a study may be looked up by: its urn:dicom:uid identifiers and
    the UID element of the versions that have one (an oid: urn:oid:<uid>)."""
    uids = study_uids(study)
    for key in _study_uid_keys():
        v = study.get(key)
        if isinstance(v, str) and v.startswith(OID_PREFIX) and v[len(OID_PREFIX):] not in uids:
            uids.append(v[len(OID_PREFIX):])
    return uids


def type_and_id(reference: str) -> tuple[str, str] | None:
    """('ImagingStudy', '123') from 'ImagingStudy/123', a versioned or an absolute reference."""
    m = _TYPE_ID.search(reference)
    return (m.group(1), m.group(2)) if m else None


_KEEP = {"resourceType", "id", "identifier", "subject", "endpoint", "series", "connectionType", "address",
         "contained"}
_KEEP_SERIES = {"uid", "number", "instance", "endpoint", "modality"}


def compact(resource: dict) -> dict:
    """The parts of an ImagingStudy or Endpoint the imaging rules read when it is only context
    (a large export keeps thousands of them in memory)."""
    out = {k: v for k, v in resource.items() if k in _KEEP}
    if isinstance(out.get("series"), list):
        out["series"] = [{k: v for k, v in s.items() if k in _KEEP_SERIES} if isinstance(s, dict) else s
                         for s in out["series"]]
        for s in out["series"]:
            if isinstance(s, dict) and isinstance(s.get("instance"), list):
                s["instance"] = [{"uid": i.get("uid")} if isinstance(i, dict) else i for i in s["instance"]]
    return out


class Resolver(Protocol):
    name: str

    def resolve(self, reference: str, base: str | None = None) -> dict | None:
        """The resource a literal reference points to (base: fullUrl of the referring resource)."""

    def studies_with_uid(self, uid: str) -> list[dict]:
        """An ImagingStudy whose urn:dicom:uid identifier carries this Study Instance UID ([] or
        one: an export may hold thousands of copies of a study, and one is enough to check
        against, so the answer is bounded whatever the input)."""


class NoResolver:
    """A lone resource: only its contained resources (handled by the rules) can be resolved."""
    name = "the resource itself"

    def resolve(self, reference: str, base: str | None = None) -> dict | None:
        return None

    def studies_with_uid(self, uid: str) -> list[dict]:
        return []


class Index:
    """Resources held in memory: a Bundle's entries, a directory, a --context folder."""

    def __init__(self, name: str):
        self.name = name
        self._by_url: dict[str, dict] = {}
        self._by_key: dict[tuple[str, str], dict] = {}
        self._studies: dict[str, dict] = {}  # Study Instance UID -> the first study carrying it

    def _store(self, resource: dict):
        """How a resource is held (as it is; PackedIndex packs it)."""
        return resource

    def _load(self, stored) -> dict:
        return stored

    def add(self, resource: dict, full_url: str | None = None) -> None:
        if not isinstance(resource, dict):
            return
        rt, rid = resource.get("resourceType"), resource.get("id")
        self._keep(self._store(resource), full_url if isinstance(full_url, str) else None,
                   (rt, rid) if isinstance(rt, str) and isinstance(rid, str) else None,
                   indexed_study_uids(resource) if rt == "ImagingStudy" else [])
        if rt == "Bundle" and isinstance(resource.get("entry"), list):
            for entry in resource["entry"]:
                if isinstance(entry, dict):
                    self.add(entry.get("resource"), entry.get("fullUrl"))

    def _keep(self, stored, url: str | None, key: tuple[str, str] | None, uids: list[str]) -> None:
        """Record a stored resource: the last one with a fullUrl wins, the first with a key or UID."""
        if url is not None:
            self._by_url[url] = stored
        if key is not None:
            self._by_key.setdefault(key, stored)
        for uid in uids:
            self._studies.setdefault(uid, stored)

    @classmethod
    def of(cls, name: str, resources: Iterable[dict]) -> "Index":
        index = cls(name)
        for r in resources:
            index.add(r)
        return index

    def __len__(self) -> int:
        return len(self._by_key) + len(self._by_url)

    def resolve(self, reference: str, base: str | None = None) -> dict | None:
        hit = self._find(reference, base)
        return self._load(hit) if hit is not None else None

    def _find(self, reference: str, base: str | None):
        hit = self._url(reference)
        if hit is not None:
            return hit
        key = type_and_id(reference)
        if key is None:
            return None
        if "://" in reference:
            return None  # an absolute URL that is not an entry's fullUrl names another server's resource
        if base and "://" in base:  # relative to the referring entry's server base (bundle.html#references)
            root = re.sub(r"[A-Z][A-Za-z]+/[^/]+(?:/_history/[^/]+)?$", "", base)
            hit = self._url(root + reference.split("/_history/")[0])
            if hit is not None:
                return hit
        return self._key(key)

    # where stored resources are kept: dicts here, a database file in harness.imaging.spill
    def _url(self, url: str):
        return self._by_url.get(url)

    def _key(self, key: tuple[str, str]):
        return self._by_key.get(key)

    def _study(self, uid: str):
        return self._studies.get(uid)

    def studies_with_uid(self, uid: str) -> list[dict]:
        found = self._study(uid)
        return [self._load(found)] if found is not None else []

class PackedIndex(Index):
    """An Index for large exports: each resource is kept reduced to what the rules read (compact)
    and serialized (about 1/6 of the memory of the parsed form); lookups decode on demand, the most
    recent ones cached."""

    def _store(self, resource: dict) -> bytes:
        return orjson.dumps(compact(resource))

    def _load(self, stored: bytes) -> dict:
        return _unpack(stored)


@lru_cache(maxsize=4096)
def _unpack(packed: bytes) -> dict:
    return orjson.loads(packed)


class FetchResolver:
    """Resolution against a live server, through callables supplied by the engine's HTTP client."""

    def __init__(self, name: str, fetch: Callable[[str], dict | None],
                 search_study: Callable[[str], list[dict]]):
        self.name = name
        self._fetch, self._search = fetch, search_study
        self._cache: dict[str, dict | None] = {}

    def resolve(self, reference: str, base: str | None = None) -> dict | None:
        if reference not in self._cache:
            self._cache[reference] = self._fetch(reference)
        return self._cache[reference]

    def studies_with_uid(self, uid: str) -> list[dict]:
        return self._search(uid)[:1]


class Chain:
    """Ask each resolver in turn (the Bundle first, then a directory, then a server)."""

    def __init__(self, *resolvers: Resolver):
        self.resolvers = [r for r in resolvers if r is not None]
        self.name = ", ".join(r.name for r in self.resolvers) or NoResolver.name

    def resolve(self, reference: str, base: str | None = None) -> dict | None:
        for r in self.resolvers:
            hit = r.resolve(reference, base)
            if hit is not None:
                return hit
        return None

    def studies_with_uid(self, uid: str) -> list[dict]:
        for r in self.resolvers:
            found = r.studies_with_uid(uid)
            if found:
                return found[:1]
        return []
