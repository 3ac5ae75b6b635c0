"""The CapabilityStatement tells the truth, the r4 server, persistence across a restart, `serve` itself."""

from __future__ import annotations

import signal
import socket
import subprocess
import time

import pytest
import requests

from harness.server.embedded import running
from harness.validation.validator import validate_value
from tests.server.data import DCM, FHIR_JSON, TIMEOUT, create, created_id, fixture, get, ids, patient, study
from tests.shared import cli_argv, cli_env, run_cli

SAMPLE = {"date": "2020", "number": "1", "quantity": "1", "reference": "x", "uri": "http://x", "string": "x",
          "token": "x"}


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_capability_statement_claims_exactly_what_works(version):
    with running(version) as base:
        cs = get(f"{base}/metadata").json()
        assert not [i for i in validate_value(cs, "cs", version).issues if i.severity == "error"]
        for res in cs["rest"][0]["resource"]:
            for p in res.get("searchParam", []):
                url = f"{base}/{res['type']}?{p['name']}={SAMPLE[p['type']]}"
                r = get(url, {"Prefer": "handling=strict"})
                assert r.status_code == 200, (url, r.text)
                for ext in p.get("extension", []):  # none: no modifier claimed
                    mod = ext["valueCode"]
                    value = "true" if mod == "missing" else SAMPLE[p["type"]]
                    r = get(f"{base}/{res['type']}?{p['name']}:{mod}={value}", {"Prefer": "handling=strict"})
                    assert r.status_code == 200, (res["type"], p["name"], mod, r.text)
            for inc in res.get("searchInclude", []):
                assert get(f"{base}/{res['type']}?_include={inc}", {"Prefer": "handling=strict"}).status_code == 200
            for inc in res.get("searchRevInclude", []):
                r = get(f"{base}/{res['type']}?_revinclude={inc}", {"Prefer": "handling=strict"})
                assert r.status_code == 200, (res["type"], inc)


def test_r4_server():
    with running("r4") as base:
        cs = get(f"{base}/metadata").json()
        assert cs["fhirVersion"] == "4.0.1"
        assert "ImagingSelection" not in {r["type"] for r in cs["rest"][0]["resource"]}
        assert get(f"{base}/ImagingSelection").status_code == 404
        r = create(base, fixture("r4", "imagingstudy-ct-abdomen.json"))
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        pid = created_id(base, patient())
        s2 = created_id(base, study("r4", f"Patient/{pid}", modality="MR", started="2020-05-05"))
        assert ids(get(f"{base}/ImagingStudy", modality=f"{DCM}|CT").json()) == {sid}
        assert ids(get(f"{base}/ImagingStudy", modality="MR").json()) == {s2}
        assert ids(get(f"{base}/ImagingStudy", started="2019-11").json()) == {sid}
        assert ids(get(f"{base}/ImagingStudy", **{"patient.family": "muster"}).json()) == {s2}
        assert ids(get(f"{base}/ImagingStudy", bodysite="818981001").json()) == {sid}
        r5_study = fixture("r5", "imagingstudy-ct-chest.json")
        assert create(base, r5_study).status_code == 422  # R5 shapes are not R4


def test_data_survives_a_restart(tmp_path):
    db = str(tmp_path / "server.sqlite")
    with running("r5", db=db) as base:
        pid = created_id(base, patient(family="Persistent"))
        body = get(f"{base}/Patient/{pid}").json()
        body["gender"] = "male"
        assert requests.put(f"{base}/Patient/{pid}", json=body, headers=FHIR_JSON, timeout=TIMEOUT).status_code == 200
    with running("r5", db=db) as base:
        assert get(f"{base}/Patient/{pid}").json()["meta"]["versionId"] == "2"
        assert get(f"{base}/Patient/{pid}/_history/1").json()["gender"] == "female"
        assert ids(get(f"{base}/Patient", family="persist").json()) == {pid}
        assert created_id(base, patient()) != pid


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args,path", [([], "/metadata"), (["--validator-only"], "/")])
def test_serve_command(args, path, tmp_path):
    port = _free_port()
    proc = subprocess.Popen(cli_argv("serve", "--port", str(port), "--db", str(tmp_path / "db.sqlite"), "--fault",
                                     "wrong-total", *args), env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                r = requests.get(f"http://127.0.0.1:{port}{path}", timeout=2)
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
                time.sleep(0.1)
        assert r.status_code == 200
        if not args:
            assert "wrong-total" in r.json()["implementation"]["description"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)


def test_serve_usage_errors():
    run = lambda *a: run_cli("serve", *a, timeout=60)  # noqa: E731
    r = run("--fault", "nope")
    assert r.returncode == 2 and "unknown --fault" in r.stderr
    r = run("--fhir-version", "stu3")
    assert r.returncode == 2
    r = run("--list-faults")
    assert r.returncode == 0 and "drop-single-series" in r.stdout


def test_an_older_index_is_rebuilt_on_open(tmp_path):
    import sqlite3
    db = str(tmp_path / "old.sqlite")
    with running("r5", db=db) as base:
        pid = created_id(base, patient(family="Reindexed"))
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM idx_string")
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()
    with running("r5", db=db) as base:
        assert ids(get(f"{base}/Patient", family="reindexed").json()) == {pid}
