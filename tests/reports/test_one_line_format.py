"""A new report format is one module and one registry line (issue #22, item 3): a throwaway format
(throwaway_format.py) registered with one line appears in `run --help` and `validate --help`, is
written by a run against the embedded server (by default and under its own option) and is printed by
`validate --format`; nothing else of the harness is touched. Also: every registered format's module
renders what its line declares, and reading the registry at start-up loads no renderer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.reports import registry
from harness.reports.registry import RUN, VALIDATION, ReportFormat
from tests.shared import DEFAULT_REPORTS, VALID, cli_env

STUDY = VALID / "r5" / "imagingstudy-ct-chest.json"
LINE = ('ReportFormat(name="throwaway", module="tests.reports.throwaway_format", renders=(RUN, VALIDATION), '
        'file="throwaway.txt", default=True, help="Throwaway lines for a test")')
#: the command line as users start it, after one line is added to the registry
LAUNCH = ("from harness.reports import registry\n"
          "from harness.reports.registry import RUN, VALIDATION, ReportFormat\n"
          f"registry.REGISTRY += ({LINE},)\n"
          "from harness.__main__ import main\n"
          "main()\n")
MARK = "throwaway-format"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LAUNCH, *args], capture_output=True, text=True,
                          env=cli_env(COLUMNS="250"), cwd=cwd, timeout=300)


def test_registered_format_is_in_both_commands_help(tmp_path):
    run_help = cli("run", "--help", cwd=tmp_path)
    assert run_help.returncode == 0, run_help.stderr
    assert "--throwaway" in run_help.stdout
    assert "Throwaway lines for a test (default REPORTS-DIR/throwaway.txt)." in run_help.stdout
    validate_help = cli("validate", "--help", cwd=tmp_path)
    assert validate_help.returncode == 0, validate_help.stderr
    assert "<text|json|junit|outcome|throwaway>" in validate_help.stdout
    assert "throwaway: Throwaway lines for a test" in validate_help.stdout


def test_registered_format_is_written_by_a_run_against_the_embedded_server(tmp_path):
    p = cli("run", "--case", "crud.imagingstudy.read-etag", "--reports-dir", "out", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    written = (tmp_path / "out" / "throwaway.txt").read_text()
    assert f"{MARK} passed crud.imagingstudy.read-etag\n" in written and f"{MARK} run completed\n" in written
    assert f"throwaway  {Path('out') / 'throwaway.txt'}" in p.stdout  # named with the others
    # the default set grew by one; the built-in defaults are still written
    assert sorted(f.name for f in (tmp_path / "out").iterdir()) == sorted(DEFAULT_REPORTS + ("throwaway.txt",))
    # its own option, like --junit FILE
    p = cli("run", "--case", "crud.imagingstudy.read-etag", "--reports-dir", "out2", "--throwaway", "mine.txt",
            cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert f"{MARK} run completed" in (tmp_path / "mine.txt").read_text()
    assert not (tmp_path / "out2" / "throwaway.txt").exists()


def test_registered_format_renders_validate_output(tmp_path):
    p = cli("validate", str(STUDY), "--format", "throwaway", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"{MARK} valid {STUDY}\n"  # the document and nothing else on stdout
    p = cli("validate", str(STUDY), "--format", "throwaway", "-o", "v.txt", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "v.txt").read_text() == f"{MARK} valid {STUDY}\n"
    assert p.stdout == "1 resources, 1 valid, 0 invalid; 0 errors, 0 warnings\n"  # data: the counts beside


def test_every_registered_module_renders_what_its_line_declares():
    import importlib

    for kind in (RUN, VALIDATION):
        names = [f.name for f in registry.REGISTRY if kind in f.renders]
        assert len(names) == len(set(names)), f"a {kind} format name is registered twice: {names}"
    for f in registry.REGISTRY:
        module = importlib.import_module(f.module)
        assert module.__doc__, f.module
        if RUN in f.renders:
            assert callable(module.render) and f.file, f
        if VALIDATION in f.renders:
            assert callable(module.render_results), f


def test_format_named_like_another_option_fails_at_start_up(monkeypatch):
    from harness import cli
    from harness.cli_reports import with_report_files

    clash = ReportFormat(name="server", module="tests.reports.throwaway_format", renders=(RUN,), file="x", help="x")
    monkeypatch.setattr(registry, "REGISTRY", registry.REGISTRY + (clash,))
    with pytest.raises(ValueError, match="--server is already an option of run"):
        with_report_files(cli.run.__wrapped__)


def test_start_up_reads_the_registry_without_loading_a_renderer():
    code = ("import sys, harness.cli\n"
            "print([m for m in sys.modules if m.startswith(('harness.engine', 'harness.reports.', 'junit_xml'))])")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       env=cli_env())
    assert json.loads(p.stdout.replace("'", '"')) == ["harness.reports.registry"]
