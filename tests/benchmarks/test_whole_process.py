"""The whole-process benchmark (benchmarks/bench_whole_process.py) runs end to end on a tiny corpus,
one round, so it cannot rot; its small corpus is valid, distinct and of the sizes the README states;
a peer that is not installed is reported as such."""

import json
import subprocess
import sys
from collections import Counter

import orjson
import pytest

from tests.shared import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import peer_process  # noqa: E402
from bench_whole_process import harness_command  # noqa: E402
from corpus_small import small_r4, small_r5  # noqa: E402

from harness.validation.validator import validate_value  # noqa: E402


def _strings(value, keys):
    if isinstance(value, dict):
        for k, v in value.items():
            if k in keys and isinstance(v, str):
                yield v
            yield from _strings(v, keys)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, keys)


def test_small_corpus_valid_distinct_and_small():
    r5, r4 = small_r5(300, seed=5), small_r4(100, seed=5)
    assert Counter(r["resourceType"] for r in r5) == {"ImagingStudy": 100, "ImagingSelection": 200}
    for version, values in (("r5", r5), ("r4", r4)):
        for v in values:
            errors = [(i.rule, i.location) for i in validate_value(v, v["id"], version).issues if i.severity == "error"]
            assert not errors, (v["id"], errors)
        ids = [v["id"] for v in values]
        assert len(set(ids)) == len(ids)
        study_uids = list(_strings([v for v in values if v["resourceType"] == "ImagingStudy"], {"uid"}))
        assert len(set(study_uids)) == len(study_uids)  # series and instance UIDs: none repeats
        assert len(set(_strings(values, {"started", "issued"}))) > 0.95 * len(values)
        per_resource = [set(_strings(v, {"reference"})) for v in values]  # a study repeats its endpoint in a series
        assert len(set().union(*per_resource)) > 0.95 * sum(map(len, per_resource))
    size = {t: sum(len(orjson.dumps(v)) for v in r5 if v["resourceType"] == t) / n
            for t, n in (("ImagingStudy", 100), ("ImagingSelection", 200))}
    assert 1200 < size["ImagingStudy"] < 1700 and 800 < size["ImagingSelection"] < 1150, size
    assert 1500 < sum(len(orjson.dumps(v)) for v in r4) / 100 < 1900
    assert not any("derivedFrom" in v or "text" in v for v in r5)
    assert orjson.dumps(small_r5(30, seed=5)) == orjson.dumps(small_r5(30, seed=5))


def test_peer_not_installed_is_reported(monkeypatch, capsys, tmp_path):
    f = tmp_path / "x.ndjson"
    f.write_bytes(b'{"resourceType":"Patient"}\n')
    monkeypatch.setitem(peer_process.PEERS, "orjson", ("no_such_module_for_this_test", peer_process.run_orjson))
    monkeypatch.setattr(sys, "argv", ["peer_process.py", "orjson", str(f)])
    assert peer_process.main() == 3
    assert json.loads(capsys.readouterr().out) == {"peer": "orjson", "installed": False}


def test_fhir_resources_peer_counts_rejections(tmp_path):
    pytest.importorskip("fhir.resources")
    f = tmp_path / "x.ndjson"
    good = orjson.dumps(small_r5(2, seed=1)[1])
    f.write_bytes(good + b"\n" + good.replace(b'"status":"available"', b'"status":42') + b"\n")
    out = subprocess.run([sys.executable, peer_process.__file__, "fhir.resources", str(f)], capture_output=True, text=True)
    summary = json.loads(out.stdout)
    assert (summary["resources"], summary["rejected"]) == (2, 1), summary


def test_bench_runs_end_to_end(tmp_path):
    out = tmp_path / "figures.json"
    cmd = harness_command()  # the console script (one more row through --extra-harness), else -m harness
    extra = ["--extra-harness", f"again={cmd[0]}"] if len(cmd) == 1 else []
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks/bench_whole_process.py"), "--rounds", "1",
                           "--small-r5", "300", "--small-r4", "60", "--large-r5", "40", "--large-r4", "20",
                           "--startup-runs", "1", "--json", str(out), *extra],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert [c["name"] for c in figures["corpora"]] == ["small R5", "small R4", "large R5", "large R4"]
    for c in figures["corpora"]:
        for label in ("imaging-harness validate (default workers)", "imaging-harness validate --workers 1",
                      *(["imaging-harness validate [again]"] if extra else [])):
            (run,) = c["rows"][label]
            assert run["verdict"] == f"{c['resources']:,} validated, 0 errors (exit 0)", (c["name"], run)
        (parse,) = c["rows"]["orjson.loads per line (parse only)"]
        assert parse["verdict"] == f"{c['resources']:,} read, 0 rejected"
        for peer in ("fhir.resources (one process)", "fhirkit-rs parse_many, 2 threads"):
            for run in c["rows"].get(peer, []):
                assert run["verdict"] == "not installed" or run["verdict"].startswith(f"{c['resources']:,} read"), run
    assert figures["startup"]["exit"] == [0]
    assert "ratios" in proc.stdout and "start-up: validate of one small resource file" in proc.stdout
    assert "small R5: 300 resources" in proc.stdout
    assert not extra or "[again]: imaging-harness" in proc.stdout
