"""What this run created on the server, what it deleted and what it left: the cleanup's bookkeeping.

Only a resource whose id passed harness.engine.ids is ever listed for deletion; one the server made
under an id the harness will not put in a URL (or under an id its body and Location disagree on) is
listed as left on the server, with the reason, and never addressed.
"""

from __future__ import annotations

import threading

from harness.engine import ids


class Tracker:
    """Every resource this run created (from 201 responses), and which of them are already deleted."""

    def __init__(self):
        self._lock = threading.Lock()
        self._local = threading.local()
        self.created: list[str] = []  # "Type/id", each id checked
        self.deleted: set[str] = set()
        self.unusable: list[str] = []  # what the server made under an id the harness does not use

    def record(self, made: ids.Created) -> None:
        """A create's outcome: listed for deletion when its id is usable, else listed as left."""
        if made.ref:
            self.add(made.ref)
        else:
            with self._lock:
                self.unusable.append(made.describe())

    def add(self, ref: str) -> None:
        problem = ids.ref_problem(ref)
        if problem:  # every path into the list is checked here, whoever calls
            with self._lock:
                self.unusable.append(f"{ids.show(ref)}: {problem}")
            return
        with self._lock:
            if ref not in self.created:
                self.created.append(ref)
        case_list = getattr(self._local, "case", None)
        if case_list is not None:
            case_list.append(ref)

    def begin_case(self) -> list:
        """Resources created from now on in this thread are also listed for the case."""
        self._local.case = []
        return self._local.case

    def end_case(self) -> list[str]:
        """What the current case created and did not delete itself."""
        made, self._local.case = getattr(self._local, "case", None) or [], None
        with self._lock:
            return [r for r in made if r not in self.deleted]

    def gone(self, ref: str) -> None:
        with self._lock:
            self.deleted.add(ref)

    def alive(self) -> list[str]:
        with self._lock:
            return [r for r in self.created if r not in self.deleted]

    def left(self) -> list[str]:
        """Everything this run made that is still on the server, as the cleanup summary lists it."""
        with self._lock:
            return [r for r in self.created if r not in self.deleted] + list(self.unusable)

    def counts(self) -> tuple[int, int]:
        """(created, deleted): every create the server answered, and those the run deleted."""
        with self._lock:
            made = len(self.created) + len(self.unusable)
            return made, len(self.created) - len([r for r in self.created if r not in self.deleted])


def track(method: str, status: int, location: str | None, body, tracker: Tracker, path: str) -> None:
    """Book what one exchange of a case created or deleted."""
    segs = path.split("?")[0].strip("/").split("/")
    if status == 201 and method == "POST" and len(segs) == 1 and segs[0]:
        tracker.record(ids.created(segs[0], location, body))
    elif status == 201 and method == "PUT" and len(segs) == 2:
        tracker.add("/".join(segs))  # update as create: the id is the one the request chose
    if method == "POST" and segs == [""] and isinstance(body, dict) \
            and body.get("type") in ("transaction-response", "batch-response"):
        for e in body.get("entry") or []:
            r = (e.get("response") if isinstance(e, dict) else None) or {}
            if isinstance(r, dict) and str(r.get("status", "")).startswith("201"):
                tracker.record(ids.created_in_entry(None, e))
    if method == "DELETE" and status in (200, 202, 204) and len(segs) == 2:
        tracker.gone("/".join(segs))
