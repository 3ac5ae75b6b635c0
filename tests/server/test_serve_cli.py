"""`serve` as a user starts it (issue #20.11): a taken port is one clear line and exit code 1 (as
documented in `serve --help` and the README); `--port 0` prints the port the system gave it."""

from __future__ import annotations

import re
import signal
import socket
import subprocess

import pytest
import requests

from tests.shared import cli_argv, cli_env, run_cli


@pytest.mark.parametrize("extra", [[], ["--validator-only"]])
def test_a_taken_port_is_one_line_and_exit_1(extra):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        p = run_cli("serve", "--port", str(port), *extra, timeout=60)
    assert p.returncode == 1
    assert p.stderr.splitlines() == [f"error: cannot listen on 127.0.0.1:{port}: address already in use; "
                                     "choose another with --port, or --port 0 for any free one"]


def test_port_0_prints_the_port_it_got():
    p = subprocess.Popen(cli_argv("serve", "--port", "0"), env=cli_env(), stderr=subprocess.PIPE, text=True)
    try:
        line = p.stderr.readline()
        m = re.search(r"on http://127\.0\.0\.1:(\d+) ", line)
        assert m and m.group(1) != "0", line
        r = requests.get(f"http://127.0.0.1:{m.group(1)}/metadata", timeout=30)
        assert r.status_code == 200 and r.json()["resourceType"] == "CapabilityStatement"
    finally:
        p.send_signal(signal.SIGINT)
        assert p.wait(30) == 0
    assert "Traceback" not in p.stderr.read()
