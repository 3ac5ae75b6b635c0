"""Which of the harness's modules run compiled.

The install compiles the hot modules (setup.py, COMPILED there) with Cython where a C compiler is
at hand; the compiled module sits beside its source and Python prefers it. Nothing else differs:
the same source, Python semantics (no C types), and tests/test_compiled.py compares the results
of the two on fixtures, a generated corpus and mutations of it.

The source is used instead of the compiled module
* for every module when IMAGING_HARNESS_PURE is set (to compare, or to rule the build out), and
* for a module whose source is newer than its compiled file (an edit after the build: the build
  would run the old code, so the source runs until the next install).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

PURE_ENV = "IMAGING_HARNESS_PURE"
_PACKAGE = Path(__file__).resolve().parent


def _built() -> dict[str, tuple[Path, Path]]:
    """module name -> (compiled file, source file), for the compiled files beside a source."""
    found: dict[str, tuple[Path, Path]] = {}
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        for built in _PACKAGE.rglob("*" + suffix):
            source = built.with_name(built.name[: -len(suffix)] + ".py")
            if source.is_file():
                rel = source.relative_to(_PACKAGE.parent).with_suffix("")
                found.setdefault(".".join(rel.parts), (built, source))
    return found


def _why_source(built: Path, source: Path) -> str | None:
    if os.environ.get(PURE_ENV):
        return f"{PURE_ENV} is set"
    try:
        if source.stat().st_mtime > built.stat().st_mtime:
            return "the source is newer than the build (reinstall to compile it)"
    except OSError:
        return "the compiled file cannot be read"
    return None


_BUILT = _built()
_SOURCE = {name: why for name, (built, source) in _BUILT.items()
           if (why := _why_source(built, source)) is not None}


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
