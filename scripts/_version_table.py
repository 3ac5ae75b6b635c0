"""The harness's version table (harness/definitions/versions.json) for the build scripts.

The scripts use the standard library only and do not import the harness package (its __init__
decides compiled modules); harness/definitions/versions.py imports nothing of the harness, so it is
loaded here from its file.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import lru_cache
from pathlib import Path

LOADER = Path(__file__).resolve().parent.parent / "harness" / "definitions" / "versions.py"


@lru_cache(maxsize=1)
def version_table():
    """The loader module harness/definitions/versions.py (rows(), names(), row(name), ...)."""
    spec = importlib.util.spec_from_file_location("_harness_version_table", LOADER)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module
