"""`imaging-harness run` and `cases` as a user calls them: exit codes 0/1/2/3, reports, no traceback."""

from __future__ import annotations

import json
import os
import socket

from tests.shared import ROOT, cli_env, run_cli

SECRET = "env-token-5e6f7a8b"


def cli(*args, env=None, cwd=None):
    return run_cli(*args, env=cli_env(**(env or {})), cwd=cwd or ROOT, timeout=120)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_pass_exit_0_with_env_token(tmp_path):
    p = cli("run", "--suite", "crud", "--reports-dir", str(tmp_path), env={"FHIR_TOKEN": SECRET})
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr and SECRET not in p.stderr + p.stdout
    umask = os.umask(0o022)
    os.umask(umask)
    for f in ("junit.xml", "results.json", "testreport.json", "report.html"):
        assert SECRET not in (tmp_path / f).read_text()
        # as open() would create them: a CI job running the harness as another user can publish them
        assert (tmp_path / f).stat().st_mode & 0o777 == 0o666 & ~umask
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["summary"]["failed"] == 0 and data["summary"]["passed"] >= 5


def test_fault_exit_1(tmp_path):
    p = cli("run", "--case", "crud.imagingstudy.read-etag", "--fault", "no-etag", "--junit", str(tmp_path / "j.xml"),
            "--reports-dir", str(tmp_path))
    assert p.returncode == 1, p.stderr
    assert "header ETag missing" in p.stderr and (tmp_path / "j.xml").exists()


def test_bad_case_file_exit_2(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "bad.yaml").write_text("id: x\ntitle: t\nversions: [r5]\nsteps: []\nwhat: 1\n")
    p = cli("run", "--cases", str(tmp_path), "--server", "http://127.0.0.1:9", "--reports-dir", str(tmp_path / "r"))
    assert p.returncode == 2 and "bad.yaml:" in p.stderr and "did not start" in p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "r").exists()


def test_bad_url_exit_2():
    p = cli("run", "--server", "ftp://example")
    assert p.returncode == 2 and "not an http(s) URL" in p.stderr


def test_unreachable_exit_3(tmp_path):
    p = cli("run", "--server", f"http://127.0.0.1:{free_port()}", "--reports-dir", str(tmp_path), "--timeout", "2")
    assert p.returncode == 3, p.stderr
    assert "unreachable" in p.stderr and "Traceback" not in p.stderr
    assert (tmp_path / "junit.xml").exists()


def test_cases_listing():
    p = cli("cases", "--format", "json")
    assert p.returncode == 0
    cases = json.loads(p.stdout)
    assert len(cases) >= 40 and all(c["requirement"] for c in cases)


def test_unwritable_report_is_reported(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    p = cli("run", "--case", "cap.fhir-version", "--reports-dir", str(blocker / "sub"))
    assert p.returncode == 2 and "cannot write" in p.stderr and "Traceback" not in p.stderr
