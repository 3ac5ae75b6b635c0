"""_include and _revinclude for the reference server's search (sql_search.py parses them): the
resources a page's matches name, or that point back to them, found in the index tables (storage.py),
with up to three more :iterate rounds. FHIR search.html §Including other resources in result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from harness.server.indexing import Catalog
    from harness.server.sql_search import Query


def included(store, cat: Catalog, rtype: str, ids: list[str], q: Query) -> list[dict]:
    """Resources named by _include / pointing back by _revinclude, for the resources of one page."""
    have = {(rtype, i) for i in ids}
    frontier = set(have)
    out: list[dict] = []
    first = True
    for _ in range(4):  # the first round and up to three :iterate rounds
        found: set[tuple[str, str]] = set()
        for src, code, target, iterate in q.includes:
            if not first and not iterate:
                continue
            keys = [k[1] for k in frontier if k[0] == src]
            for chunk in range(0, len(keys), 500):
                part = keys[chunk:chunk + 500]
                sql = (f"SELECT ref_type, ref_id FROM idx_reference WHERE rtype=? AND param=? AND local=1 "
                       f"AND rid IN ({','.join('?' * len(part))})" + (" AND ref_type=?" if target else ""))
                found.update(store.query(sql, [src, code, *part] + ([target] if target else [])))
        for src, code, target, iterate in q.revincludes:
            if not first and not iterate:
                continue
            for t in {k[0] for k in frontier}:
                if target and target != t:
                    continue
                keys = [k[1] for k in frontier if k[0] == t]
                for chunk in range(0, len(keys), 500):
                    part = keys[chunk:chunk + 500]
                    sql = (f"SELECT rtype, rid FROM idx_reference WHERE rtype=? AND param=? AND local=1 "
                           f"AND ref_type=? AND ref_id IN ({','.join('?' * len(part))})")
                    found.update(store.query(sql, [src, code, t, *part]))
        new = sorted(k for k in found if k not in have)
        bodies = store.many(new)
        out.extend(bodies[k] for k in new if k in bodies)
        have.update(bodies)
        frontier = set(bodies)
        first = False
        if not frontier:
            break
    return out
