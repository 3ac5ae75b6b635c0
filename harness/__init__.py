"""Conformance test harness and validator for FHIR imaging servers."""

__version__ = "0.1.0"
