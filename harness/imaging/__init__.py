"""Imaging rules: what no structural validator checks (DICOM UIDs, the single-series rule, region
geometry, frame numbering, DICOM endpoints). ``run(resource, version, resolver)`` is the entry point;
importing this package registers every check."""

from harness.imaging import endpoints, geometry, identifiers, series, studies
from harness.imaging.context import Chain, FetchResolver, Index, NoResolver, Resolver
from harness.imaging.rules import run, table

__all__ = ["run", "table", "Chain", "FetchResolver", "Index", "NoResolver", "Resolver"]
_REGISTERED = (endpoints, geometry, identifiers, series, studies)  # their checks, for the registry
