"""Trust under attack (issue #19): a hostile reverse proxy in front of the reference server, and the
real CLI run through it as a subprocess. No secret, in any common encoding, reaches the console or a
report; text that cannot be encoded or would drive a terminal is escaped; every report is written."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from harness.server.embedded import running
from tests.reliability.hostile_proxy import MARKUP, hostile_proxy
from tests import shared
from tests.shared import DEFAULT_REPORTS, cli_env

TOKEN = "tok.9f_Z+x/Y=="  # b64token characters: its URL encoding differs from it
API_KEY = "key-5ecret-api-77"  # id-safe: the proxy also appends it to every id it returns
COOKIE = "session=c00kie-5ecret-v4l"
USER_PASS = "oper:pa55-w0rd-9xq"
BASIC = "Basic " + base64.b64encode(USER_PASS.encode()).decode()


def _b64_fragments(secret: str) -> set[str]:
    """The base64 characters that depend on the secret alone, at each of the 3 byte alignments it can
    have inside a longer encoded text."""
    out = set()
    raw = secret.encode()
    for k in range(3):
        for enc in (base64.b64encode, base64.urlsafe_b64encode):
            text = enc(b"\0" * k + raw).decode()
            out.add(text[-(-8 * k // 6) if k else 0: 8 * (k + len(raw)) // 6])
    return out


def forms(secret: str) -> set[str]:
    """A secret as an echoing server may send it back: raw, URL-encoded, base64."""
    out = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
    out |= {re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), f) for f in out}
    out |= _b64_fragments(secret)
    return {f for f in out if len(f) >= 6}


SECRETS = {"token": TOKEN, "x-api-key": API_KEY, "cookie": COOKIE, "basic": BASIC, "basic user:pass": USER_PASS,
           "basic password": USER_PASS.split(":", 1)[1]}


def run_cli(server: str, reports: Path, *extra: str, secrets=True) -> subprocess.CompletedProcess:
    args = ["run", "--server", server, "--reports-dir", str(reports), "-v", "--timeout", "20", *extra]
    if secrets:
        args += ["--token", TOKEN, "--header", f"X-Api-Key: {API_KEY}", "--header", f"Cookie: {COOKIE}",
                 "--secret-header", f"X-Upstream-Auth: {BASIC}"]
    env = {k: v for k, v in cli_env().items() if k != "FHIR_TOKEN"}
    return shared.run_cli(*args, env=env, text=False, timeout=900)


def leaks(texts: dict[str, str]) -> dict[str, int]:
    """(output, secret, form) → occurrences, for every secret form found in any output."""
    found = {}
    for where, text in texts.items():
        for name, secret in SECRETS.items():
            for f in forms(secret):
                n = text.count(f)
                if n:
                    found[f"{where}: {name} as {f!r}"] = n
    return found


def outputs(p: subprocess.CompletedProcess, reports: Path) -> dict[str, str]:
    texts = {"stdout": p.stdout.decode("utf-8", "replace"), "stderr": p.stderr.decode("utf-8", "replace")}
    for name in DEFAULT_REPORTS:
        texts[name] = (reports / name).read_text(encoding="utf-8")
    return texts


@pytest.fixture(scope="module")
def echo_run(tmp_path_factory):
    reports = tmp_path_factory.mktemp("echo")
    with running("r5") as base, hostile_proxy(base, "echo", id_echo=API_KEY) as (proxy, seen):
        p = run_cli(proxy, reports)
    return p, reports, seen


def test_no_secret_in_any_output_of_a_run_behind_an_echoing_server(echo_run):
    p, reports, seen = echo_run
    assert p.returncode in (0, 1), p.stderr.decode()[-3000:]
    assert b"Traceback" not in p.stderr
    texts = outputs(p, reports)
    # the proxy did echo (the test would pass vacuously otherwise)
    assert any(r.headers.get("Authorization") == f"Bearer {TOKEN}" and r.headers.get("X-Api-Key") == API_KEY
               and r.headers.get("X-Upstream-Auth") == BASIC and r.headers.get("Cookie") == COOKIE for r in seen)
    assert any("echo=" in r.path for r in seen), "no redirect with the token in the query was followed"
    assert "***" in texts["results.json"]
    found = leaks(texts)
    assert found == {}, f"{sum(found.values())} occurrences: {found}"


# --- text that cannot be encoded or would drive a terminal -------------------------------------------

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield k
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)


@pytest.fixture(scope="module")
def control_run(tmp_path_factory):
    reports = tmp_path_factory.mktemp("control")
    for name in DEFAULT_REPORTS:  # a previous run's reports: none may survive beside this run's
        (reports / name).write_text("STALE REPORT OF AN EARLIER RUN", encoding="utf-8")
    with running("r5") as base, hostile_proxy(base, "control") as (proxy, seen):
        p = run_cli(proxy, reports, secrets=False)
    return p, reports


def test_control_codes_never_reach_the_console(control_run):
    p, _ = control_run
    for stream in (p.stdout, p.stderr):
        text = stream.decode("utf-8")  # strict: a lone surrogate would have been written as invalid UTF-8
        assert _CONTROL.findall(text) == [], sorted(set(_CONTROL.findall(text)))
    # the hostile text is shown, escaped (the console shows what the server sent, harmlessly)
    assert "\\x1b]0;owned\\x07" in p.stderr.decode()


def test_every_report_is_written_and_every_case_runs_whatever_the_server_text(control_run):
    from harness.engine.loader import load_cases

    p, reports = control_run
    assert p.returncode == 1, p.stderr.decode()[-3000:]  # cases fail; nothing else is wrong
    assert b"Traceback" not in p.stderr and b"not written" not in p.stderr
    texts = {name: (reports / name).read_text(encoding="utf-8") for name in DEFAULT_REPORTS}
    for name, text in texts.items():
        assert "STALE REPORT" not in text, name
        assert _CONTROL.findall(text.replace("\r", "")) == [], name  # no raw control character in a file
    ET.fromstring(texts["junit.xml"].encode())
    results, testreport = json.loads(texts["results.json"]), json.loads(texts["testreport.json"])
    assert testreport["resourceType"] == "TestReport"
    for doc in (results, testreport):
        assert [s for s in _strings(doc) if _CONTROL.search(s)] == []
    assert results["run"]["status"] == "completed", results["run"]["message"]
    assert "\\ud800" in results["run"]["software"]  # escaped, visible
    ran = {c["id"]: c for c in results["cases"]}
    assert {c.id for c in load_cases()} <= set(ran)  # every case of the case files has a result
    oracle = [c for i, c in ran.items() if i.startswith("search-oracle.")]
    assert len(oracle) > 100
    # a query built from an identifier with a lone surrogate cannot be sent: that case errors, saying so
    unsendable = [c for c in ran.values() if "cannot be encoded as UTF-8" in c["message"]]
    # held already, kept held: hostile markup is text in the HTML report, never markup
    assert MARKUP in json.dumps(results, ensure_ascii=False) and MARKUP not in texts["report.html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in texts["report.html"]
    assert unsendable and all(c["status"] == "error" for c in unsendable)
    assert not [c for c in ran.values() if "harness error" in c["message"]]


def test_a_report_that_cannot_be_rendered_is_named_and_no_stale_one_is_left(tmp_path, monkeypatch):
    """Whatever breaks a report (not only an OSError), the others are written, the run says which one
    is missing, and the earlier run's file under that name is removed."""
    from harness.engine.loader import load_cases
    from harness.engine.session import RunOptions, execute
    from harness.reports import registry

    real = registry.renderer

    def renderer(fmt):
        if fmt == "junit":
            def broken(run):
                raise ValueError("renderer bug")
            return broken
        return real(fmt)

    monkeypatch.setattr(registry, "renderer", renderer)
    reports = [registry.FileReport(n, tmp_path / registry.FORMATS[n][1]) for n in registry.FORMATS]
    for r in reports:
        r.path.write_text("STALE", encoding="utf-8")
    with running("r5") as base:
        execute(load_cases(suites=["capabilities"]), RunOptions(server=base), reports)
    problems = {r.fmt: r.settle() for r in reports}
    assert problems["junit"].startswith("cannot render the junit report: ValueError: renderer bug")
    assert "previous" in problems["junit"] and not (tmp_path / "junit.xml").exists()
    assert [f for f, p in problems.items() if p is None] == [f for f in registry.FORMATS if f != "junit"]
    assert all("STALE" not in r.path.read_text(encoding="utf-8") for r in reports if r.fmt != "junit")


def test_a_case_that_raises_errors_alone_and_every_other_case_runs(monkeypatch):
    from harness.engine import assertions
    from harness.engine.loader import load_cases
    from harness.engine.session import RunOptions, execute

    real = assertions.check

    def check(a, resp, body, ctx):
        if a.kind == "header" and a.value.get("name") == "ETag":
            raise RuntimeError("unforeseen \ud800 in the answer")
        return real(a, resp, body, ctx)

    monkeypatch.setattr(assertions, "check", check)
    with running("r5") as base:
        result, code = execute(load_cases(suites=["crud"]), RunOptions(server=base))
    assert result.status == "completed" and code == 1
    bad = {r.case.id: r for r in result.cases if r.status != "passed"}
    assert set(bad) == {"crud.imagingstudy.read-etag"}, {i: r.message for i, r in bad.items()}
    assert bad["crud.imagingstudy.read-etag"].status == "error"
    assert "harness error: RuntimeError" in bad["crud.imagingstudy.read-etag"].message
    assert len(result.cases) == len(load_cases(suites=["crud"])) and result.deleted == result.created


def test_a_symlink_at_a_report_path_is_replaced_never_written_through(tmp_path):
    """Held already, kept held: the report replaces the link; the file it pointed at is untouched."""
    target = tmp_path / "elsewhere.txt"
    target.write_text("NOT A REPORT", encoding="utf-8")
    (tmp_path / "results.json").symlink_to(target)
    with running("r5") as base:
        p = run_cli(base, tmp_path, "--suite", "capabilities", secrets=False)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    assert target.read_text(encoding="utf-8") == "NOT A REPORT"
    assert not (tmp_path / "results.json").is_symlink()
    assert json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["summary"]["passed"] == 5


def test_the_cli_exits_non_zero_naming_a_report_it_could_not_write(tmp_path):
    (tmp_path / "junit.xml").mkdir()  # a directory where the file should go
    with running("r5") as base:
        p = run_cli(base, tmp_path, "--suite", "capabilities", secrets=False)
    err = p.stderr.decode()
    assert p.returncode == 2 and "error: junit report not written: cannot write" in err, err
    assert (tmp_path / "results.json").is_file()
