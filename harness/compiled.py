"""Which of the harness's modules run compiled.

The install compiles the hot modules with Cython where a C compiler is at hand: each module whose
first line is MARKER (setup.py finds them by the same text scan as marked() below; its generated C
goes to build/cython/). The compiled module sits beside its source and Python prefers it. Nothing else differs:
the same source, Python semantics (no C types), and tests/install/test_compiled.py compares the results
of the two on fixtures, a generated corpus and mutations of it.

The source is used instead of the compiled module
* for every module when IMAGING_HARNESS_PURE is set (to compare, or to rule the build out), and
* for a module whose source is not the one it was compiled from: the build records each source's
  SHA-256 (setup.py, `_compiled.json` beside the package), and a source with another hash (an edit
  after the build), or one the record does not name, runs as source until the next install.
  The decision rests on content only: pip writes each `.py` after its compiled file, and touching or
  copying files changes nothing.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from pathlib import Path

PURE_ENV = "IMAGING_HARNESS_PURE"
RECORD = "_compiled.json"  # written by setup.py's build_ext: module -> SHA-256 of its source
MARKER = "# imaging-harness: compiled"  # = setup.py MARKER: the first line of a module to compile
_PACKAGE = Path(__file__).resolve().parent


def built(package: Path) -> dict[str, tuple[Path, Path]]:
    """module name -> (compiled file, source file), for the compiled files beside a source."""
    found: dict[str, tuple[Path, Path]] = {}
    # one os.walk, not a Path.rglob per suffix: this runs at every start-up (three walks of the
    # package's thousand files cost about 15 ms of a 0.25 s `validate`)
    for folder, _, files in sorted(os.walk(package)):
        names = set(files)
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:  # the first suffix wins, as Python's
            for name in sorted(files):
                if name.endswith(suffix) and name[: -len(suffix)] + ".py" in names:
                    source = Path(folder, name[: -len(suffix)] + ".py")
                    if source.is_file():
                        rel = source.relative_to(package.parent).with_suffix("")
                        found.setdefault(".".join(rel.parts), (Path(folder, name), source))
    return found


def marked(package: Path = _PACKAGE) -> set[str]:
    """The modules the build compiles: each source under package whose first line is MARKER."""
    found = set()
    for source in package.rglob("*.py"):
        with open(source, encoding="utf-8") as f:
            if f.readline().rstrip("\r\n") == MARKER:
                found.add(".".join(source.relative_to(package.parent).with_suffix("").parts))
    return found


def record(package: Path) -> dict[str, str]:
    """The build's record (module -> SHA-256 of the source compiled); empty if missing or unreadable."""
    try:
        data = json.loads((package / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(data, dict) else {}


def why_source(name: str, source: Path, recorded: dict[str, str]) -> str | None:
    """Why module `name` runs from `source` rather than compiled, or None: it runs compiled."""
    if os.environ.get(PURE_ENV):
        return f"{PURE_ENV} is set"
    if name not in recorded:
        return "the build recorded no source for it (reinstall to compile it)"
    try:
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
    except OSError:
        return "its source cannot be read"
    if digest != recorded[name]:
        return "the source differs from the one compiled (reinstall to compile it)"
    return None


def decide(package: Path) -> tuple[dict[str, tuple[Path, Path]], dict[str, str]]:
    """(every built module, the ones that run from source with the reason)."""
    found = built(package)
    recorded = record(package) if found else {}
    return found, {name: why for name, (_, source) in found.items()
                   if (why := why_source(name, source, recorded)) is not None}


_BUILT, _SOURCE = decide(_PACKAGE)


class _SourceFinder:
    """Finds the listed modules as source files (ahead of the compiled files beside them)."""

    def __init__(self, sources: dict[str, Path]):
        self.sources = sources

    def find_spec(self, name: str, path=None, target=None):
        source = self.sources.get(name)
        return importlib.util.spec_from_file_location(name, source) if source is not None else None


if _SOURCE:
    sys.meta_path.insert(0, _SourceFinder({name: _BUILT[name][1] for name in _SOURCE}))


def status() -> dict[str, str]:
    """module -> 'compiled', or why its source runs (every module with a compiled file)."""
    return {name: _SOURCE.get(name, "compiled") for name in sorted(_BUILT)}


def summary() -> str:
    """One line for reports and benchmarks: how many modules run compiled."""
    s = status()
    n = sum(v == "compiled" for v in s.values())
    if not s:
        return "pure Python (no compiled modules installed)"
    if n == 0:
        return f"pure Python ({next(iter(s.values()))})"
    return f"{n} of {len(s)} built modules compiled (Cython)"
