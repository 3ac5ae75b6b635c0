"""Where the case files and datasets that `run` and `cases` read are: package data in an installed
wheel, the top-level folders in a checkout.

The wheel's build (setup.py, `build_py`) copies `testcases/` and `fixtures/{datasets,negative}/`
into `harness/_data/`, read here with importlib.resources. A checkout and an editable install run the
checkout's package, which has no `harness/_data/`: there the top-level folders are the data. So the
folders are kept once, at the top level, and the package data is built from them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SHIPPED = "_data"  # the package-data folder inside `harness` (built, never committed)
FOLDERS = ("testcases", "fixtures/datasets", "fixtures/negative")  # what the build ships
_CHECKOUT = Path(__file__).resolve().parent.parent


def folder(name: str) -> Path:
    """The folder `name` (one of FOLDERS, or a parent of them: `fixtures`) as installed."""
    shipped = resources.files("harness").joinpath(SHIPPED, *name.split("/"))
    # an install from a wheel is a folder on disk: its package data is a real path (a zipped
    # package, which pip never makes, would need extracting and is not supported)
    if isinstance(shipped, Path) and shipped.is_dir():
        return shipped
    return _CHECKOUT / name
