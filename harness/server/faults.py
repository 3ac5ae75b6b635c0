"""Fault injection: each fault makes the server deliberately non-conformant in one observable way.
Options make it conformant in another way than by default (a feature it does not claim, an optional
element it leaves out); the suite must pass against every option (tests/engine/test_server_options.py).

Every fault and option is a switch consulted at exactly one point in the server code (grep for its
name); an option that withdraws a claim is consulted where the claim and the behaviour both come from.
"""

from __future__ import annotations

from typing import Iterable

#: name -> the non-conformance it injects
FAULTS: dict[str, str] = {
    "accept-invalid": "stores resources that fail validation (bindings, cardinality) instead of 422",
    "drop-single-series": "returned ImagingSelections list an extra instance from another series "
                          "(instances span two series)",
    "ignore-modifier-not": "token :not is ignored: code:not=x returns the resources with code x",
    "ignore-unknown-strict": "Prefer: handling=strict is ignored: an unknown search parameter is "
                             "dropped instead of 400",
    "wrong-total": "searchset Bundle.total is one more than the number of matches",
    "drop-last-page": "the page before the last has no next link, so the last page is unreachable",
    "broken-paging": "next links point back at the current page (a paging loop)",
    "duplicate-across-pages": "every page after the first starts with the last entry of the page before",
    "no-location-header": "create (201) answers without a Location header",
    "wrong-content-type": "responses are labelled text/plain instead of application/fhir+json",
    "ignore-include": "_include and _revinclude are ignored (no included entries)",
    "date-precision": "date search compares the raw strings: no precision ranges, prefixes compare text",
    "no-etag": "responses carry no ETag header",
    "delete-not-gone": "read after delete returns 200 with the last version instead of 410",
    "capability-lies": "the CapabilityStatement claims a search parameter (_text) that is not implemented",
    "token-ignores-system": "token search system|code matches on the code alone",
    "date-prefix-off-by-one": "date prefixes gt/lt/sa/eb include the boundary (behave as ge/le)",
    "reference-type-ignored": "reference search Type/id matches on the id alone, whatever the type",
    "sort-reversed": "_sort order is reversed",
    "status-500-on-search": "every search answers 500 with an OperationOutcome",
    "malformed-json": "search responses are not valid JSON (truncated body)",
    "slow-responses": "every response is delayed by 0.5 s",
    "no-body-on-create": "create (201) answers with no body whatever Prefer asks: the new id is only in "
                         "Location (allowed: the server may ignore Prefer: return=representation)",
    "update-create-200": "update to an id that does not exist creates the resource but answers 200 "
                         "instead of 201 Created",
}

#: name -> the conformant variation it selects (the suite must still pass: nothing fails, what the server
#: does not claim is skipped with the reason or run under Prefer: handling=strict)
OPTIONS: dict[str, str] = {
    "omit-search-mode": "searchset entries that are matches carry no search.mode (Bundle.entry.search.mode "
                        "is 0..1); included entries keep search.mode = include",
    "no-tag-search": "_tag is not claimed; a _tag parameter is ignored (rejected under Prefer: handling=strict)",
    "no-chaining": "no SearchParameter declares a chain; chained parameters are ignored (rejected under "
                   "Prefer: handling=strict)",
    "no-includes": "no searchInclude / searchRevInclude claimed; _include and _revinclude are ignored "
                   "(rejected under Prefer: handling=strict)",
}

#: the suite's case ids each fault makes fail (tests/engine/test_faults.py checks exactly these; a test
#: in tests/server keeps this copy equal to it). Faults in EVERY_SEARCH fail every search case; the
#: ids listed for them are the ones the quick fault test runs.
CASES: dict[str, tuple[str, ...]] = {
    "accept-invalid": (
        "bindings.imagingselection.status-rejected",
        "bindings.imagingstudy.status-rejected",
        "structure.imagingselection.rejects-missing-code",
        "structure.imagingstudy.rejects-missing-series-uid",
    ),
    "drop-single-series": (
        "crud.imagingselection.create-read",
        "single-series.search-with-include",
        "single-series.selection-read",
        "single-series.series-uid-consistent",
        "structure.imagingselection.read-valid",
    ),
    "ignore-modifier-not": ("search.imagingstudy.status-not",),
    "ignore-unknown-strict": ("search.imagingstudy.strict-unknown",),
    "wrong-total": ("search.imagingstudy.total",),
    "drop-last-page": ("search.imagingstudy.paging",),
    "broken-paging": ("search.imagingstudy.paging",),
    "duplicate-across-pages": ("search.imagingstudy.paging",),
    "no-location-header": ("crud.imagingselection.create-read", "crud.imagingstudy.create-read"),
    "wrong-content-type": ("cap.content-type",),
    "ignore-include": ("search.imagingstudy.include-subject", "search.imagingstudy.revinclude-selection"),
    "date-precision": ("search.imagingstudy.started-day",),
    "no-etag": ("crud.imagingstudy.read-etag",),
    "delete-not-gone": ("crud.imagingselection.delete", "crud.imagingstudy.delete"),
    "capability-lies": ("search.imagingstudy.text",),
    "token-ignores-system": ("search.imagingstudy.identifier-wrong-system",),
    "date-prefix-off-by-one": ("search.imagingstudy.started-gt-lt",),
    "reference-type-ignored": ("search.imagingstudy.subject-type",),
    "sort-reversed": ("search.imagingstudy.sort-started",),
    "status-500-on-search": (
        "search.imagingselection.status",
        "search.imagingstudy.identifier",
        "single-series.search-with-include",
    ),
    "malformed-json": (
        "search.imagingselection.status",
        "search.imagingstudy.identifier",
        "single-series.search-with-include",
    ),
    "update-create-200": ("crud.imagingstudy.update-create",),
}
EVERY_SEARCH = frozenset({"status-500-on-search", "malformed-json"})
#: every case still passes: slow-responses only slower; no-body-on-create is allowed behaviour, there to
#: prove that every capture of a created id reads Location when there is no body
NOT_CONFORMANCE = frozenset({"slow-responses", "no-body-on-create"})


class UnknownFault(ValueError):
    pass


class Faults:
    """The set of active faults; `"name" in faults` is the switch."""

    def __init__(self, names: Iterable[str] = ()):
        names = tuple(names)
        unknown = [n for n in names if n not in FAULTS and n not in OPTIONS]
        if unknown:
            raise UnknownFault(f"unknown fault(s): {', '.join(unknown)}; known: {', '.join([*FAULTS, *OPTIONS])}")
        self.active = frozenset(names)

    def __contains__(self, name: str) -> bool:
        assert name in FAULTS or name in OPTIONS, name  # a typo in the server code must not silently disable a fault
        return name in self.active

    def __iter__(self):
        return iter(sorted(self.active))

    def __bool__(self) -> bool:
        return bool(self.active)
