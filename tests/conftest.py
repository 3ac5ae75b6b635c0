"""Fixtures every folder of the suite may use; the plain names they are built on are in tests/shared.py.

The folders group the tests by the package they prove (tests/validation, tests/imaging, tests/search,
tests/engine, tests/server, tests/reliability, tests/install, tests/benchmarks).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.server.embedded import running


@pytest.fixture(scope="module")
def r5_base() -> Iterator[str]:
    """The base URL of an R5 reference server on loopback, one per test module (real HTTP)."""
    with running("r5") as base:
        yield base
