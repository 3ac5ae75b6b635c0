"""The export index moves to disk past a size and answers exactly as in memory, in forked NDJSON
workers too, and leaves no file behind."""

from __future__ import annotations

import glob
import json
import os
import tempfile
from pathlib import Path

import pytest

from harness.imaging import spill
from harness.imaging.context import PackedIndex
from harness.imaging.spill import SpillIndex
from harness.validation.sources import validate_paths
from tests.shared import ROOT, load_json

STUDY = "fixtures/valid/r5/imagingstudy-ct-chest.json"
DIR = ROOT / "fixtures/invalid/imaging/single-series-dir"


def _resources() -> list[tuple[dict, str | None]]:
    out = []
    for n in range(12):
        uid = f"1.2.3.{n}"
        out.append(({"resourceType": "ImagingStudy", "id": f"s{n % 9}", "status": "available",
                     "identifier": [{"system": "urn:dicom:uid", "value": f"urn:oid:{uid}"},
                                    {"system": "urn:dicom:uid", "value": "urn:oid:1.2.3.0"}]},
                    f"http://a.example/fhir/ImagingStudy/s{n % 4}" if n % 2 else None))
        out.append(({"resourceType": "Endpoint", "id": f"e{n}", "status": "active", "address": "https://x"}, None))
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:0c6d3c7b-43c4-4c0c-9a3b-0c7f1b7d9a11", "resource": {"resourceType": "Endpoint", "id": "b"}}]}
    return out + [(bundle, None)]


@pytest.mark.parametrize("spill_after", [0, 3, 10_000])
def test_answers_equal_the_in_memory_index(spill_after: int):
    memory, disk = PackedIndex("m"), SpillIndex("d", spill_after=spill_after)
    for r, url in _resources():
        memory.add(r, url)
        disk.add(r, url)
    assert (disk.path is not None) == (spill_after < 10_000)
    refs = [f"ImagingStudy/s{n}" for n in range(10)] + [f"Endpoint/e{n}" for n in range(14)] + [
        f"http://a.example/fhir/ImagingStudy/s{n}" for n in range(5)] + [
        "urn:uuid:0c6d3c7b-43c4-4c0c-9a3b-0c7f1b7d9a11", "ImagingStudy/s1/_history/2", "Patient/x", "#c"]
    for ref in refs:
        for base in (None, "http://a.example/fhir/ImagingSelection/x"):
            assert disk.resolve(ref, base) == memory.resolve(ref, base), (ref, base)
    for n in range(13):
        assert disk.studies_with_uid(f"1.2.3.{n}") == memory.studies_with_uid(f"1.2.3.{n}")
    path = disk.path
    disk.close()
    assert path is None or not os.path.exists(path)


def test_parallel_ndjson_with_a_spilled_index_equals_serial_in_memory(tmp_path: Path, monkeypatch):
    from harness.validation import ndjson

    study = (ROOT / STUDY).read_text(encoding="utf-8").replace("\n", "")
    selection = (DIR / "imagingselection.json").read_text(encoding="utf-8").replace("\n", "")
    other = (DIR / "imagingstudy.json").read_text(encoding="utf-8")
    lines = [study, other.replace("\n", "")] + [selection] * 30
    f = tmp_path / "export.ndjson"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    serial = [r.as_dict() for r in validate_paths([str(f)], "r5", workers=1)]
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "imaging-harness-index-*")))
    monkeypatch.setattr(ndjson, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(ndjson, "CHUNK_LINES", 4)
    monkeypatch.setattr(spill, "SPILL_AFTER", 0)
    parallel = [r.as_dict() for r in validate_paths([str(f)], "r5", workers=2)]
    assert parallel == serial
    assert any(i["rule"] == "imaging.single-series" for r in parallel for i in r["issues"])
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "imaging-harness-index-*"))) == before


# --- a study-only export: the studies are not indexed, and nothing changes -----------------------

def _line(path: str, **changes) -> str:
    value = load_json(path)
    value.update(changes)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _study_only_export(tmp_path: Path) -> Path:
    """Studies, endpoints (one an IHE IID endpoint, which a series must not name), a patient, a
    broken line; a series naming the IID endpoint, which only the export resolves."""
    iid = _line("fixtures/valid/r5/endpoint-pacs-dicomweb.json", id="iid").replace('"dicom-wado-rs"', '"ihe-iid"')
    study = json.loads(_line(STUDY, id="names-iid"))
    study["series"][0]["endpoint"] = [{"reference": "Endpoint/iid"}]
    lines = [_line(STUDY, id=f"s{n}") for n in range(3)]
    lines += [_line("fixtures/negative/r5/invalid-study-series-uid.json"), iid, json.dumps(study),
              _line("fixtures/valid/r5/endpoint-pacs-dicomweb.json"),
              _line("fixtures/valid/r5/patient-erika.json"), "{not json"]
    f = tmp_path / "studies.ndjson"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f


def test_a_study_only_export_gives_the_same_results_without_its_study_index(tmp_path: Path, monkeypatch):
    from harness.validation import sources
    f = _study_only_export(tmp_path)
    assert not sources._may_look_up_studies(f)  # so this test runs the shortcut
    quick = [r.as_dict() for r in validate_paths([str(f)], "r5", workers=1)]
    monkeypatch.setattr(sources, "_may_look_up_studies", lambda path: True)
    indexed = [r.as_dict() for r in validate_paths([str(f)], "r5", workers=1)]
    assert quick == indexed
    assert [i["rule"] for r in quick for i in r["issues"] if i["rule"].startswith("imaging.")] == ["imaging.endpoint-level"]


@pytest.mark.parametrize("line", [
    '{"resourceType":"ImagingSelection","status":"available"}',
    '{"resourceType" : "Bundle","type":"collection"}',
    '{"resourceType":"ImagingStudy","series":[{"endpoint":[{"reference":"ImagingStudy/s1"}]}]}',
    '{"resourceType":"Imaging\\u0053election"}',
    '{"resourceType":"ImagingStudy","partOf":[{"reference":"ImagingStudy\\/s1"}]}',
    '{"resourceType":"Basic","contained":[{"resourceType":"ImagingManifest"}]}',
])
def test_any_line_that_may_look_a_study_up_keeps_the_study_index(tmp_path: Path, line: str):
    from harness.validation import sources
    f = _study_only_export(tmp_path)
    f.write_text(f.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    assert sources._may_look_up_studies(f)


class _Recording:
    """A resolver that knows nothing and writes down every question."""
    name = "the recording resolver"

    def __init__(self):
        self.by_uid: list[str] = []
        self.refs: list[str] = []

    def resolve(self, reference, base=None):
        self.refs.append(reference)
        return None

    def studies_with_uid(self, uid):
        self.by_uid.append(uid)
        return []


def test_studies_and_endpoints_never_look_a_study_up():
    """Why a study-only export may skip the study index (sources._may_look_up_studies): the checks
    of a study or an endpoint never ask for a study by UID, and the references they resolve are
    written in the resource itself (so a literal ImagingStudy/ one is seen by the byte scan)."""
    import sys

    from harness import imaging
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from corpus import r4_studies, r5_imaging
    cases = [(v, "r4") for v in r4_studies(60, 5)] + [(v, "r5") for v in r5_imaging(60, 5)]
    for path in sorted(ROOT.glob("fixtures/**/*.json")):
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue  # the unparseable fixtures
        if isinstance(value, dict) and value.get("resourceType") in ("ImagingStudy", "Endpoint"):
            cases += [(value, "r4" if "/r4" in str(path) else "r5")]
    study = load_json(STUDY)
    study["series"][0]["endpoint"] = [{"reference": "ImagingStudy/other"}, {"reference": "Endpoint/x"}]
    cases.append((study, "r5"))
    asked = 0
    for value, version in cases:
        if value.get("resourceType") not in ("ImagingStudy", "Endpoint"):
            continue
        rec = _Recording()
        imaging.run(value, version, rec)
        assert rec.by_uid == [], value.get("id")
        written = json.dumps(value)
        assert all(json.dumps(r)[1:-1] in written for r in rec.refs), (value.get("id"), rec.refs)
        asked += len(rec.refs)
    assert asked > 0  # the endpoints were looked up, so the test sees the lookups it guards
