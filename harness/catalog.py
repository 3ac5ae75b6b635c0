"""docs/rules.md, generated from the rule registry: ``python -m harness.catalog`` (or ``imaging-harness rules``).

The registry is ``harness.validation.catalog``; the imaging checks register their rules where they are
defined, so this module imports them (``harness.imaging``) before it reads the registry.
"""

from __future__ import annotations

import harness.imaging  # noqa: F401  (registers every imaging check and its rules)
from harness.validation import catalog

_HEAD = ["# Rule catalog", "",
         "Generated from the rule registry (`harness/validation/catalog.py` and the `@rule` lines of the "
         "checks in `harness/imaging/`) by `python -m harness.catalog`.", "",
         "| rule | severity | what | requirement | checked by |", "|---|---|---|---|---|"]


_CORE = "`validation` (parser, structure walk, invariants)"  # the rules registered in the catalog module itself


def render_markdown() -> str:
    """The rule table: every registered rule, its severity, title, requirement and the checks that report it."""
    lines = list(_HEAD)
    for r in catalog.all_rules():
        where = ", ".join(f"`{name.removeprefix('harness.')}`" for name in catalog.checks(r.id)) or _CORE
        lines.append(f"| `{r.id}` | {r.severity} | {r.title} | {r.requirement} | {where} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render_markdown(), end="")
