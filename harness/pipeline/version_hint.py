"""A hint for `validate` when resources judged as the default version look like another version's.

Without --fhir-version most resources are validated as r5. An R4 export then fails on elements and
codes R5 renamed, which reads like broken data. For the first few invalid results judged as the
default, the resource is read again from its source and validated as each other version that
defines its type; when one version gives at most half the errors, the hint names it and the option
that chooses it. Nothing here is specific to a version: the definitions decide.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness import definitions
from harness.validation.issues import ERROR, Result
from harness.pipeline.validator import DEFAULT_VERSION, validate_value

SAMPLE = 5  # invalid resources tried (each validated once per other version)
_PART = re.compile(r"#(entry|line)\[(\d+)\]")


def value_at(source: str):
    """The JSON value a result's source names: FILE, FILE#entry[i]..., FILE#line[n]; None if unreadable."""
    from harness.validation.jsonparse import parse_bytes
    from harness.pipeline.sources import MAX_FILE

    name = source.split("#", 1)[0]
    parts = _PART.findall(source[len(name):])
    path = Path(name)
    try:
        if parts and parts[0][0] == "line":
            n = int(parts[0][1])
            with path.open("rb") as f:
                for i, line in enumerate(f, start=1):
                    if i == n:
                        break
                else:
                    return None
            parts = parts[1:]
        elif path.stat().st_size <= MAX_FILE:
            line = path.read_bytes()
        else:
            return None
    except OSError:
        return None
    parsed = parse_bytes(line)
    if parsed.error is not None:
        return None
    value = parsed.value
    for kind, i in parts:
        entries = value.get("entry") if isinstance(value, dict) else None
        if kind != "entry" or not isinstance(entries, list) or int(i) >= len(entries):
            return None
        value = entries[int(i)].get("resource") if isinstance(entries[int(i)], dict) else None
    return value if isinstance(value, dict) else None


class VersionHint:
    """Watches the results of one `validate` call (observe), then says whether another version fits."""

    def __init__(self, requested: str | None) -> None:
        self.active = requested is None  # a version the user chose is never second-guessed
        self.sources: list[str] = []

    def observe(self, r: Result) -> None:
        if (self.active and len(self.sources) < SAMPLE and not r.valid and r.resource_type
                and r.fhir_version == DEFAULT_VERSION):
            self.sources.append(r.source)

    def message(self) -> str | None:
        values = [v for v in map(value_at, self.sources) if v is not None]
        if not values:
            return None

        def errors(version: str) -> int:
            return sum(validate_value(v, "hint", version).count(ERROR) for v in values)

        judged = errors(DEFAULT_VERSION)
        counts = {version: errors(version) for version in definitions.available()
                  if version != DEFAULT_VERSION
                  and all(definitions.load(version).has_type(v.get("resourceType")) for v in values)}
        best = min(counts.values(), default=judged)
        if best * 2 > judged:
            return None
        fits = [v for v, n in counts.items() if n == best]
        names = ", ".join(fits[:-1]) + (" or " if len(fits) > 1 else "") + fits[-1]
        return (f"hint: {len(values)} invalid resource(s) tried have {judged} error(s) as {DEFAULT_VERSION} "
                f"(the default) and {best or 'none'} as {names}: if they are {names} resources, say so with "
                f"--fhir-version VERSION")
