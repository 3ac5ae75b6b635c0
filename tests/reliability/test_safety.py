"""Safety on someone else's server (issue #7): the harness changes nothing it did not create, sends
only reads in --read-only, and never prints a credential."""

from __future__ import annotations

import requests

from harness.engine.loader import load_cases
from harness.engine.session import RunOptions, execute
from harness.server.embedded import running
from tests.proxy import forwarding_proxy
from tests.shared import cli_env, load_json, run_cli

FHIR = {"Content-Type": "application/fhir+json", "Prefer": "return=representation"}
TOKEN = "tok-reliability-51c0ffee"


def test_read_only_sends_only_reads(tmp_path):
    with running("r5") as base, forwarding_proxy(base) as proxy:
        result, _ = execute(load_cases(), RunOptions(server=proxy.base, read_only=True, oracle=True))
    seen = [(r.method, r.path) for r in proxy.seen]
    assert seen, "nothing was sent"
    writes = [(m, p) for m, p in seen if m not in ("GET", "HEAD") and not (m == "POST" and "_search" in p)]
    assert writes == []
    assert result.created == 0


def _foreign(base: str) -> list[dict]:
    """Resources someone else put on the server before the run."""
    study = load_json("fixtures/datasets/r5/study-ct-chest.json")
    patient = {"resourceType": "Patient", "name": [{"family": "Other", "given": ["Someone"]}],
               "identifier": [{"system": "urn:other-site", "value": "X1"}]}
    made = []
    r = requests.post(f"{base}/Patient", json=patient, headers=FHIR, timeout=10)
    made.append(r.json())
    study.pop("id")
    study["subject"] = {"reference": f"Patient/{made[0]['id']}"}
    for k in ("basedOn", "referrer", "endpoint"):
        study.pop(k, None)
    for s in study.get("series") or []:
        s.pop("endpoint", None)
        for p in s.get("performer") or []:
            p["actor"] = {"display": "someone"}
    r = requests.post(f"{base}/ImagingStudy", json=study, headers=FHIR, timeout=10)
    assert r.status_code == 201, r.text
    made.append(r.json())
    return made


def test_every_suite_leaves_foreign_resources_byte_equal(tmp_path):
    with running("r5") as base:
        before = _foreign(base)
        raw_before = [requests.get(f"{base}/{r['resourceType']}/{r['id']}", timeout=10).content for r in before]
        result, code = execute(load_cases(), RunOptions(server=base, oracle=True, token=TOKEN))
        raw_after = [requests.get(f"{base}/{r['resourceType']}/{r['id']}", timeout=10).content for r in before]
    assert code == 0, [(c.case.id, c.message) for c in result.cases if c.status in ("failed", "error")]
    assert raw_after == raw_before  # same bytes, so the same versionId and lastUpdated
    assert result.deleted == result.created > 0


def test_the_token_is_in_no_output_of_a_cli_run(tmp_path):
    p = run_cli("run", "--reports-dir", str(tmp_path), "-v", "--header", f"X-Api-Key: {TOKEN}", "--suite", "crud",
                env=cli_env(FHIR_TOKEN=TOKEN), timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert TOKEN not in p.stdout and TOKEN not in p.stderr
    for f in tmp_path.iterdir():
        assert TOKEN not in f.read_text(encoding="utf-8"), f
