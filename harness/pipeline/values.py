"""One parsed JSON value to Results: the value itself, then a Bundle's entries each as its own
resource; and the Result that stands for a source that could not be read. Every input reader
(files, NDJSON lines, the server's $validate) comes through here."""

from __future__ import annotations

from typing import Iterator

from harness.imaging.context import Chain, Index, Resolver
from harness.pipeline.validator import DEFAULT_VERSION, validate_value
from harness.validation.issues import ERROR, Issue, Result
from harness.validation.jsonparse import ParseError


def error_result(source: str, rule: str, err: ParseError | str, version: str | None) -> Result:
    """The Result of a source that could not be read or parsed: one error, no resource."""
    return Result(source, None, None, version or DEFAULT_VERSION,
                  (Issue(ERROR, rule, "$", str(err), "RFC 8259 JSON; FHIR JSON format"),))


def results_for_value(value, dups, source: str, version: str | None, bundle: dict | None = None,
                      resolver: Resolver | None = None, full_url: str | None = None) -> Iterator[Result]:
    """The value itself, then (for a Bundle) each entry's resource as its own result.

    A Bundle is one resolution context for the imaging rules: its entries resolve against each
    other (by fullUrl and Type/id) before the outer resolver (a directory, --context) is asked."""
    first = validate_value(value, source, version, dups, bundle, resolver, full_url)
    yield first
    version = version or first.fhir_version  # entries are read in the Bundle's version
    if isinstance(value, dict) and value.get("resourceType") == "Bundle" and isinstance(value.get("entry"), list):
        inner = Chain(Index.of(f"Bundle {source}", [value]), *([resolver] if resolver else []))
        for i, entry in enumerate(value["entry"]):
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
                yield from results_for_value(entry["resource"], dups, f"{source}#entry[{i}]", version, value,
                                             inner, url)
