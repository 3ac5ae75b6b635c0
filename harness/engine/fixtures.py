"""The imaging datasets (`fixtures/datasets/<family>/`) and negative resources (`fixtures/negative/<family>/`):
find them, load a dataset onto a server (transaction when claimed, else one create at a time),
keep the server's ids, rewrite references and tag every created resource with the run tag.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from harness import shipped
from harness.definitions import versions
from harness.engine import ids

ROOT = shipped.folder("fixtures")  # package data when installed, fixtures/ in a checkout
TAG_SYSTEM = "urn:imaging-harness:run"


def family(version: str) -> str:
    """The fixtures folder a version's cases use (the version table's run.fixtures), else its name."""
    try:
        return (versions.row(version).run or {}).get("fixtures", version)
    except KeyError:
        return version


def dataset_dir(version: str) -> Path:
    return ROOT / "datasets" / family(version)


def negative_dir(version: str) -> Path:
    return ROOT / "negative" / family(version)


@lru_cache(maxsize=None)
def _read_dir(path: Path) -> dict[str, dict]:
    if not path.is_dir():
        return {}
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(path.glob("*.json"))}


def dataset(version: str) -> dict[str, dict]:
    return _read_dir(dataset_dir(version))


def negatives(version: str) -> dict[str, dict]:
    return _read_dir(negative_dir(version))


def names(version: str) -> set[str]:
    return set(dataset(version)) | set(negatives(version))


def case_code(run_id: str) -> str:
    """The tag code of resources the cases create: distinct from the dataset's code (the run id), so
    `_tag=${tag}` searches see the dataset only, whatever runs concurrently."""
    return f"{run_id}-cases"


def tag_coding(run_id: str) -> dict:
    return {"system": TAG_SYSTEM, "code": run_id}


def add_tag(resource: dict, run_id: str) -> dict:
    meta = resource.setdefault("meta", {})
    tags = meta.setdefault("tag", [])
    if not any(t.get("system") == TAG_SYSTEM for t in tags):
        tags.append(tag_coding(run_id))
    return resource


def _refs(obj):
    if isinstance(obj, dict):
        if isinstance(obj.get("reference"), str):
            yield obj
        for v in obj.values():
            yield from _refs(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _refs(v)


def rewrite_refs(resource: dict, mapping: dict[str, str]) -> dict:
    """Replace "Type/fixture-id" references by mapping[...] in place."""
    for r in _refs(resource):
        if r["reference"] in mapping:
            r["reference"] = mapping[r["reference"]]
    return resource


def load_order(resources: dict[str, dict]) -> list[str]:
    """Fixture names, each after every fixture it references."""
    key_of = {f"{r['resourceType']}/{r['id']}": n for n, r in resources.items()}
    deps = {n: {key_of[x["reference"]] for x in _refs(r) if x["reference"] in key_of} - {n}
            for n, r in resources.items()}
    order, done = [], set()

    def visit(n, stack=()):
        if n in done or n in stack:
            return
        for d in sorted(deps[n]):
            visit(d, stack + (n,))
        done.add(n)
        order.append(n)

    for n in sorted(resources):
        visit(n)
    return order


@dataclass
class Loaded:
    """What this run put on the server: fixture name → "Type/id", and the resources as sent."""

    refs: dict[str, str] = field(default_factory=dict)
    resources: dict[str, dict] = field(default_factory=dict)
    via: str = ""

    def id(self, name: str) -> str:
        return self.refs[name].split("/", 1)[1]


class LoadError(Exception):
    pass


def body_for(name: str, version: str, loaded: Loaded, run_id: str) -> dict:
    """A fixture as a request body: id dropped, references to loaded fixtures rewritten, run tag added."""
    src = dataset(version).get(name) or negatives(version).get(name)
    res = copy.deepcopy(src)
    res.pop("id", None)
    rewrite_refs(res, _ref_map(version, loaded))
    return add_tag(res, run_id)


def _ref_map(version: str, loaded: Loaded) -> dict[str, str]:
    ds = dataset(version)
    return {f"{ds[n]['resourceType']}/{ds[n]['id']}": ref for n, ref in loaded.refs.items() if n in ds}


def load_dataset(client, version: str, run_id: str, transaction: bool, on_created) -> Loaded:
    """Create the whole dataset; on_created(ids.Created) is called for each resource the server made,
    also one whose id the harness will not use (then LoadError follows)."""
    ds = dataset(version)
    order = load_order(ds)
    loaded = Loaded(via="transaction" if transaction else "create")
    if transaction:
        uuids = {n: f"urn:uuid:{uuid.uuid4()}" for n in order}
        mapping = {f"{ds[n]['resourceType']}/{ds[n]['id']}": uuids[n] for n in order}
        entries = []
        for n in order:
            res = copy.deepcopy(ds[n])
            res.pop("id", None)
            rewrite_refs(res, mapping)
            add_tag(res, run_id)
            entries.append({"fullUrl": uuids[n], "resource": res,
                            "request": {"method": "POST", "url": ds[n]["resourceType"]}})
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
        r = client.request("POST", "", body=bundle)
        body = r.json() if r.status == 200 else None
        out = (body or {}).get("entry") if isinstance(body, dict) else None
        if not isinstance(out, list) or len(out) != len(order):
            raise LoadError(f"transaction to load the {version} dataset answered {r.status}")
        made = [ids.created_in_entry(ds[n]["resourceType"], e) for n, e in zip(order, out)]
        for c in made:
            on_created(c)  # every one, so that the cleanup knows what was made even when one is unusable
        for n, c in zip(order, made):
            if c.problem:
                raise LoadError(f"transaction response entry for {n}: {c.problem}")
            loaded.refs[n] = c.ref
        final = {uuids[n]: loaded.refs[n] for n in order}
        for n, sent in zip(order, entries):
            res = rewrite_refs(sent["resource"], final)
            res["id"] = loaded.id(n)
            loaded.resources[n] = res
        return loaded
    for n in order:
        res = copy.deepcopy(ds[n])
        res.pop("id", None)
        rewrite_refs(res, _ref_map(version, loaded))
        add_tag(res, run_id)
        r = client.request("POST", ds[n]["resourceType"], body=res)
        if r.status not in (200, 201):
            raise LoadError(f"create of fixture {n} answered {r.status}")
        c = ids.created(ds[n]["resourceType"], r.header("Location"), r.json())
        on_created(c)
        if c.problem:
            raise LoadError(f"create of fixture {n}: {c.problem}")
        loaded.refs[n] = c.ref
        res["id"] = c.id
        loaded.resources[n] = res
    return loaded
