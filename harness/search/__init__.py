"""The search oracle (issue #6): SearchParameter expressions evaluated over the run's resources and
FHIR's matching rules per type give the exact expected result of each query. The reference server
never imports this package: its SQL search is an independent implementation."""

from harness.search.matching import Unsupported
from harness.search.oracle import Expectation, Oracle
from harness.search.queries import Query, generate

__all__ = ["Expectation", "Oracle", "Query", "Unsupported", "generate"]
