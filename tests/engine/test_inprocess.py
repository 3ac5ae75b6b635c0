"""The transport seam of the one HTTP client (harness.engine.http.mounted) and the in-process reference
server built on it (tests/engine/inprocess.py): what the client promises holds over a mounted
transport, the mount ends with its block, and a run in process gives what a run over loopback gives."""

from __future__ import annotations

import pytest
from requests.adapters import BaseAdapter

from harness.engine.http import Client, ClientConfig, TransportError, mounted
from harness.engine.loader import load_cases
from harness.engine.session import RunOptions, execute
from harness.server.embedded import running
from tests.engine.inprocess import in_process

TOKEN = "s3cr3t-t0ken-value"


def test_a_mounted_transport_answers_and_the_client_still_redacts_and_refuses_other_origins():
    with in_process("r5") as base:
        c = Client(ClientConfig(base, token=TOKEN))
        log = c.start_log()
        r = c.request("GET", "metadata", query={"token": TOKEN})
        c.stop_log()
        assert r.status == 200 and r.json()["resourceType"] == "CapabilityStatement"
        assert r.header("content-type").startswith("application/fhir+json")
        assert TOKEN not in log[0].text() and "***" in log[0].text()
        with pytest.raises(TransportError, match="another origin"):
            c.request("GET", "http://127.0.0.1:9/metadata")


def test_the_mount_ends_with_its_block():
    class Refuse(BaseAdapter):
        def send(self, request, **kw):
            raise AssertionError("not mounted here")

        def close(self):
            pass

    base = "http://inprocess.invalid:65000"
    with mounted(base + "/", Refuse()):
        with pytest.raises(AssertionError, match="not mounted here"):
            Client(ClientConfig(base)).request("GET", "metadata")
    with pytest.raises(TransportError, match="does not resolve|cannot connect"):  # the network again
        Client(ClientConfig(base, connect_timeout=2)).request("GET", "metadata")


@pytest.mark.parametrize("faults", [(), ("ignore-include",)], ids=["conformant", "ignore-include"])
def test_a_run_in_process_gives_what_a_run_over_loopback_gives(faults):
    cases = load_cases()

    def outcome(base):
        result, code = execute(cases, RunOptions(server=base, oracle=True))
        return code, sorted((r.case.id, r.status) for r in result.cases)

    with in_process("r5", faults) as base:
        here = outcome(base)
    with running("r5", faults) as base:
        there = outcome(base)
    assert here == there
    assert len(here[1]) > 300 and (here[0] == 0) == (not faults)
