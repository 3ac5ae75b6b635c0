"""Search stays linear: selective criteria use the (param, value) indexes, sorts look up per row.

Written straight to storage (no HTTP, no validation) so 1,500 resources load in about a second; a
quadratic plan (a sort subquery scanning a whole parameter per row) takes seconds here.
"""

from __future__ import annotations

import time

import pytest

from harness.server import sql_search
from harness.server.interactions import FhirServer
from tests.server.data import patient, study


@pytest.fixture(scope="module")
def server():
    srv = FhirServer("r5")
    for i in range(1500):
        s = study("r5", f"Patient/p{i % 50}", uid=f"2.25.{i}", modality="CT" if i % 3 else "MR",
                  started=f"20{10 + i % 15}-0{1 + i % 9}-1{i % 9}", series=1)
        s["id"] = f"s{i}"
        srv.store.put(s, "PUT")
    for i in range(50):
        srv.store.put(patient(f"p{i}", family=f"Fam{i}", mrn=str(i)), "PUT")
    yield srv
    srv.close()


@pytest.mark.parametrize("pairs,expected", [
    ([("identifier", "urn:dicom:uid|urn:oid:2.25.77")], 1),
    ([("subject", "Patient/p7")], 30),
    ([("patient.family", "fam7")], 30),
    ([("modality", "MR"), ("_sort", "-started")], 500),
    ([("_sort", "started,modality")], 1500),
    ([("_sort", "-subject,_id")], 1500),
    ([("status:not", "available")], 0),
    ([("series:missing", "true")], 0),
])
def test_search_time_is_linear(server, pairs, expected):
    t = time.perf_counter()
    q = sql_search.parse(server.cat, server.faults, "http://x", "ImagingStudy", pairs, True)
    ids = sql_search.run(server.store, server.cat, server.faults, "http://x", q)
    assert len(ids) == expected
    assert time.perf_counter() - t < 0.5, pairs
