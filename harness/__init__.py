"""Conformance test harness and validator for FHIR imaging servers."""

from harness import compiled as _compiled  # noqa: F401 - first: decides compiled or source modules

__version__ = "0.1.0"
