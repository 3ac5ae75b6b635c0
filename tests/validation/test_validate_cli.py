"""The real `validate` command in a subprocess: exit codes, output formats, inputs.

Most machine-readable output is read back from `-o FILE`; the stdout tests check that stdout carries
the document and nothing else (ref-1 calls FHIRPath trace(), which fhirpathpy prints to stdout unless
the validator silences it).
"""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest

from harness import definitions
from tests.shared import INVALID, ROOT, VALID, cli_env, run_cli

EXPECTATIONS: dict[str, dict] = json.loads((INVALID / "expectations.json").read_text(encoding="utf-8"))

RESULT_KEYS = {"source", "resourceType", "id", "fhirVersion", "valid", "issues"}
ISSUE_KEYS = {"severity", "rule", "location", "message", "requirement"}
SUMMARY_KEYS = {"resources", "errors", "warnings"}

# a small valid resource with no Reference (so nothing reaches ref-1 and its trace() output)
PLAIN_SELECTION = {
    "resourceType": "ImagingSelection",
    "id": "sel-plain",
    "text": {"status": "generated",
             "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Key image, instance 41</p></div>'},
    "status": "available",
    "code": {"coding": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "113000"}]},
    "studyUid": "1.2.826.0.1.3680043.8.498.10734536187342815236517894602513",
    "seriesUid": "1.2.826.0.1.3680043.8.498.10734536187342815236517894602513.2",
    "instance": [{"uid": "1.2.826.0.1.3680043.8.498.10734536187342815236517894602513.2.41"}],
}


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return run_cli("validate", *args, env=cli_env(NO_COLOR="1"), cwd=cwd, timeout=120)


def no_traceback(p: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in p.stderr, p.stderr
    assert "Traceback" not in p.stdout


def run_json(tmp_path: Path, *args: str, expect_rc: int | None = None) -> tuple[dict, subprocess.CompletedProcess]:
    out = tmp_path / f"out-{len(list(tmp_path.glob('out-*')))}.json"
    p = run(*args, "--format", "json", "-o", str(out))
    no_traceback(p)
    if expect_rc is not None:
        assert p.returncode == expect_rc, p.stdout + p.stderr
    return json.loads(out.read_text(encoding="utf-8")), p


def assert_json_shape(doc: dict) -> None:
    assert set(doc) == {"results", "summary"}
    assert isinstance(doc["results"], list)
    assert set(doc["summary"]) == SUMMARY_KEYS
    errors = warnings = 0
    for r in doc["results"]:
        assert set(r) == RESULT_KEYS, r.keys()
        assert isinstance(r["source"], str) and r["source"]
        assert r["resourceType"] is None or isinstance(r["resourceType"], str)
        assert r["id"] is None or isinstance(r["id"], str)
        assert r["fhirVersion"] in definitions.VERSIONS
        assert isinstance(r["valid"], bool)
        assert isinstance(r["issues"], list)
        for i in r["issues"]:
            assert set(i) == ISSUE_KEYS, i.keys()
            assert all(isinstance(i[k], str) and i[k] for k in ISSUE_KEYS)
            assert i["severity"] in ("error", "warning", "information")
        severities = [i["severity"] for i in r["issues"]]
        assert r["valid"] == ("error" not in severities)
        errors += severities.count("error")
        warnings += severities.count("warning")
    assert doc["summary"] == {"resources": len(doc["results"]), "errors": errors, "warnings": warnings}


def _invalid_groups() -> dict[tuple[str | None, bool], list[str]]:
    """Invalid fixtures grouped by (version, expects an error), as paths relative to ROOT."""
    groups: dict[tuple[str | None, bool], list[str]] = defaultdict(list)
    for name, entry in sorted(EXPECTATIONS.items()):
        has_error = any(e["severity"] == "error" for e in entry["expect"])
        groups[(entry["fhirVersion"], has_error)].append(f"fixtures/invalid/{name}")
    return groups


def _version_args(version: str | None) -> list[str]:
    return ["--fhir-version", version] if version else []


# --- exit codes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("version", definitions.VERSIONS)
def test_exit_0_on_valid_fixtures(version: str, tmp_path: Path):
    doc, p = run_json(tmp_path, f"fixtures/valid/{version}", "--fhir-version", version, expect_rc=0)
    assert doc["results"] and all(r["valid"] for r in doc["results"])
    assert doc["summary"]["errors"] == 0 and doc["summary"]["warnings"] == 0


@pytest.mark.parametrize("version", [v for v in [None, *definitions.VERSIONS] if (v, True) in _invalid_groups()],
                         ids=lambda v: v or "auto")
def test_exit_1_on_invalid_fixtures_and_every_one_is_reported_invalid(version: str | None, tmp_path: Path):
    files = _invalid_groups()[(version, True)]
    doc, p = run_json(tmp_path, *files, *_version_args(version), expect_rc=1)
    assert_json_shape(doc)
    by_file: dict[str, list[dict]] = defaultdict(list)
    for r in doc["results"]:
        src = r["source"].split("#", 1)[0]
        by_file[next((f for f in files if src == f or src.startswith(f + "/")), src)].append(r)
    for f in files:
        assert by_file[f], f"no result for {f}"
        assert any(not r["valid"] for r in by_file[f]), f
        expected = {(e["rule"], e["location"], e["severity"])
                    for e in EXPECTATIONS[f.removeprefix("fixtures/invalid/")]["expect"]}
        reported = {(i["rule"], i["location"], i["severity"]) for r in by_file[f] for i in r["issues"]}
        assert expected <= reported, f


def test_exit_0_when_only_warnings_and_information(tmp_path: Path):
    files = _invalid_groups()[("r5", False)]
    assert files
    doc, p = run_json(tmp_path, *files, "--fhir-version", "r5", expect_rc=0)
    assert doc["summary"]["errors"] == 0 and doc["summary"]["warnings"] > 0


def test_exit_2_on_unknown_fhir_version():
    p = run("fixtures/valid/r5", "--fhir-version", "r7")
    assert p.returncode == 2
    assert "unknown --fhir-version 'r7'" in p.stderr
    assert all(v in p.stderr for v in definitions.VERSIONS)
    assert p.stdout == ""
    no_traceback(p)


# --- formats -------------------------------------------------------------------------------------

def test_json_on_stdout_has_the_documented_shape(tmp_path: Path):
    f = tmp_path / "selection.json"
    f.write_text(json.dumps(PLAIN_SELECTION), encoding="utf-8")
    p = run(str(f), "--format", "json")
    no_traceback(p)
    assert p.returncode == 0
    doc = json.loads(p.stdout)
    assert_json_shape(doc)
    assert [(r["source"], r["resourceType"], r["id"], r["fhirVersion"], r["valid"]) for r in doc["results"]] == [
        (str(f), "ImagingSelection", "sel-plain", "r5", True)]


@pytest.mark.parametrize("fmt", ["json", "junit", "outcome"])
def test_machine_readable_stdout_has_nothing_but_the_document(fmt: str):
    # References reach ref-1, whose trace('url') / trace('ids') fhirpathpy prints to stdout by default
    p = run("fixtures/valid/r4/imagingstudy-ct-abdomen.json", "fixtures/valid/r5/imagingstudy-ct-chest.json",
            "--fhir-version", "r5", "--format", fmt)
    no_traceback(p)
    assert p.returncode == 1  # the R4 study is not valid R5: the output still has to be one document
    assert "TRACE" not in p.stdout
    if fmt == "junit":
        assert len(ET.fromstring(p.stdout).findall(".//testcase")) == 2
    elif fmt == "json":
        doc = json.loads(p.stdout)
        assert_json_shape(doc)
        assert [r["valid"] for r in doc["results"]] == [False, True]
    else:
        assert len(json.loads(p.stdout)["entry"]) == 2


def test_json_to_file_has_the_documented_shape_for_every_fixture(tmp_path: Path):
    doc, p = run_json(tmp_path, "fixtures/valid/r5", "fixtures/invalid", "--fhir-version", "r5", expect_rc=1)
    assert_json_shape(doc)
    sources = {r["source"] for r in doc["results"]}
    assert "fixtures/invalid/expectations.json" in sources  # not a resource: reported, not skipped
    assert {"json.syntax", "json.not-a-resource", "structure.cardinality", "binding.required"} <= {
        i["rule"] for r in doc["results"] for i in r["issues"]}


def test_junit_has_one_testcase_per_resource(tmp_path: Path):
    args = ["fixtures/valid/r5", "fixtures/invalid/json", "--fhir-version", "r5"]
    doc, _ = run_json(tmp_path, *args)
    out = tmp_path / "report.xml"
    p = run(*args, "--format", "junit", "-o", str(out))
    no_traceback(p)
    assert p.returncode == 1
    root = ET.parse(out).getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == len(doc["results"])
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(failed) == sum(1 for r in doc["results"] if not r["valid"])
    for case, r in zip(cases, doc["results"]):
        assert case.get("name").startswith(r["source"] + " ")
        assert case.get("classname") == f"validate.{r['fhirVersion']}"


def test_outcome_is_a_bundle_of_operation_outcomes(tmp_path: Path):
    args = ["fixtures/valid/r5/bundle-transaction-ct-chest.json", "fixtures/invalid/binding/required-status-r5.json",
            "--fhir-version", "r5"]
    doc, _ = run_json(tmp_path, *args)
    out = tmp_path / "outcome.json"
    p = run(*args, "--format", "outcome", "-o", str(out))
    no_traceback(p)
    assert p.returncode == 1
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    assert len(bundle["entry"]) == len(doc["results"])
    for entry, r in zip(bundle["entry"], doc["results"]):
        oo = entry["resource"]
        assert oo["resourceType"] == "OperationOutcome"
        assert entry["fullUrl"].startswith("urn:uuid:")
        assert oo["issue"]
        assert [x["url"] for x in oo["extension"]] == ["urn:imaging-harness:source"]
        assert oo["extension"][0]["valueString"] == r["source"]
        if r["issues"]:
            assert [i["details"]["coding"][0]["code"] for i in oo["issue"]] == [i["rule"] for i in r["issues"]]
            assert [i["expression"] for i in oo["issue"]] == [[i["location"]] for i in r["issues"]]
    bad = bundle["entry"][-1]["resource"]["issue"]
    assert any(i["severity"] == "error" and i["code"] == "code-invalid" for i in bad)
    # the harness's own output is a FHIR R5 Bundle without errors
    check, _ = run_json(tmp_path, str(out), "--fhir-version", "r5", expect_rc=0)
    assert check["summary"]["errors"] == 0


def test_output_file_is_written_and_stdout_gets_the_summary(tmp_path: Path):
    out = tmp_path / "nested" / "dir" / "report.txt"
    p = run("fixtures/valid/r5/patient-erika.json", "--fhir-version", "r5", "-o", str(out))
    no_traceback(p)
    assert p.returncode == 0
    text = out.read_text(encoding="utf-8")
    assert "fixtures/valid/r5/patient-erika.json: Patient/pat-4711 [r5] valid" in text
    assert text.rstrip().endswith("1 resources, 1 valid, 0 invalid; 0 errors, 0 warnings")
    assert "\033[" not in text
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() creates it, readable by others
    out_json = tmp_path / "report.json"
    p = run("fixtures/valid/r5/patient-erika.json", "--fhir-version", "r5", "--format", "json", "-o", str(out_json))
    assert p.returncode == 0
    assert_json_shape(json.loads(out_json.read_text(encoding="utf-8")))
    assert p.stdout.splitlines()[-1] == "1 resources, 1 valid, 0 invalid; 0 errors, 0 warnings"


# --- inputs --------------------------------------------------------------------------------------

def test_bundle_gives_one_result_per_entry(tmp_path: Path):
    f = "fixtures/valid/r5/bundle-transaction-ct-chest.json"
    doc, _ = run_json(tmp_path, f, "--fhir-version", "r5", expect_rc=0)
    assert [(r["source"], r["resourceType"]) for r in doc["results"]] == [
        (f, "Bundle"), (f"{f}#entry[0]", "Patient"), (f"{f}#entry[1]", "ImagingStudy"),
        (f"{f}#entry[2]", "ImagingSelection")]


def test_ndjson_lines_are_results_and_a_bad_line_does_not_stop_the_others(tmp_path: Path):
    patient = json.loads((VALID / "r5" / "patient-erika.json").read_text(encoding="utf-8"))
    study = json.loads((VALID / "r5" / "imagingstudy-ct-chest.json").read_text(encoding="utf-8"))
    lines = [json.dumps(patient), '{"resourceType": "ImagingStudy", "status": ', "",
             json.dumps(PLAIN_SELECTION), "[]", json.dumps(study)]
    f = tmp_path / "export.ndjson"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    doc, _ = run_json(tmp_path, str(f), "--fhir-version", "r5", expect_rc=1)
    got = [(r["source"], r["resourceType"], r["valid"], [i["rule"] for i in r["issues"]]) for r in doc["results"]]
    assert got == [
        (f"{f}#line[1]", "Patient", True, []),
        (f"{f}#line[2]", None, False, ["json.syntax"]),
        (f"{f}#line[4]", "ImagingSelection", True, []),
        (f"{f}#line[5]", None, False, ["json.not-a-resource"]),
        (f"{f}#line[6]", "ImagingStudy", True, []),
    ]
    assert "line 2" in doc["results"][1]["issues"][0]["message"]


def test_directory_is_walked_recursively(tmp_path: Path):
    tree = tmp_path / "export"
    (tree / "a" / "b").mkdir(parents=True)
    (tree / "a" / "b" / "selection.json").write_text(json.dumps(PLAIN_SELECTION), encoding="utf-8")
    (tree / "a" / "patient.json").write_bytes((VALID / "r5" / "patient-erika.json").read_bytes())
    (tree / "study.json").write_bytes((VALID / "r5" / "imagingstudy-ct-chest.json").read_bytes())
    (tree / "a" / "notes.txt").write_text("not a resource", encoding="utf-8")
    doc, _ = run_json(tmp_path, str(tree), "--fhir-version", "r5", expect_rc=0)
    assert sorted(Path(r["source"]).relative_to(tree).as_posix() for r in doc["results"]) == [
        "a/b/selection.json", "a/patient.json", "study.json"]


def test_imaging_excerpt_without_fhir_version_is_stu3_ballot(tmp_path: Path):
    doc, _ = run_json(tmp_path, "fixtures/valid/stu3-ballot/imagingexcerpt-ct-chest.json", expect_rc=0)
    [r] = doc["results"]
    assert (r["resourceType"], r["fhirVersion"], r["valid"]) == ("ImagingExcerpt", "stu3-ballot", True)
    assert "structure.inherited-definition" in [i["rule"] for i in r["issues"]]


def test_stu3_is_the_published_3_0_2(tmp_path: Path):
    """stu3 is FHIR 3.0.2 from its package: the STU3 fixtures (ImagingStudy with uid/patient/oid
    sopClass, ImagingManifest, Endpoint) are valid, an ImagingManifest chooses stu3 by itself, and
    the seed-003 draft elements (title, instance.frameNumber) are unknown elements of 3.0.2."""
    doc, _ = run_json(tmp_path, "--fhir-version", "stu3", "fixtures/valid/stu3", expect_rc=0)
    assert sorted(r["resourceType"] for r in doc["results"]) == ["Endpoint", "ImagingManifest", "ImagingStudy"]
    assert all(r["fhirVersion"] == "stu3" and r["valid"] for r in doc["results"])
    assert not any(i["rule"] == "structure.inherited-definition" for r in doc["results"] for i in r["issues"])
    doc, _ = run_json(tmp_path, "fixtures/invalid/structure/imagingmanifest-draft-elements-stu3.json", expect_rc=1)
    [r] = doc["results"]
    assert (r["resourceType"], r["fhirVersion"], r["valid"]) == ("ImagingManifest", "stu3", False)
    assert sorted((i["rule"], i["location"]) for i in r["issues"] if i["severity"] == "error") == [
        ("structure.unknown-element", "ImagingManifest.study[0].series[0].instance[0].frameNumber"),
        ("structure.unknown-element", "ImagingManifest.title")]


def test_bad_inputs_are_reported_without_a_traceback(tmp_path: Path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "dir.json").mkdir()  # a directory named like a file, holding nothing
    (bad / "broken.json").symlink_to(bad / "nowhere.json")  # a dangling symlink
    os.mkfifo(bad / "pipe.json")  # exists, but not a regular file
    (bad / "latin1.json").write_bytes(b'{"resourceType": "Patient", "name": [{"family": "M\xfcller"}]}')
    (bad / "deep-array.json").write_text("[" * 100_000 + "]" * 100_000)
    (bad / "deep-extension.json").write_text(
        '{"resourceType": "Patient", "extension": ' + '[{"url": "http://example.org/x", "extension": ' * 400
        + '[{"url": "http://example.org/y", "valueString": "z"}]' + "}]" * 400 + "}")
    (bad / "huge-int.json").write_text('{"resourceType": "ImagingStudy", "numberOfSeries": ' + "9" * 5000 + "}")
    (bad / "empty.json").write_bytes(b"")
    (bad / "bom-then-garbage.json").write_bytes(b"\xef\xbb\xbf\x00\x01")
    paths = [str(bad / n) for n in ("dir.json", "broken.json", "pipe.json", "latin1.json", "deep-array.json",
                                    "deep-extension.json", "huge-int.json", "empty.json", "bom-then-garbage.json")]
    if Path("/proc/self/mem").is_file():
        paths.append("/proc/self/mem")  # a regular file whose read fails with EIO (chmod 000 is no use as root)
    paths += [str(INVALID / name) for name in EXPECTATIONS]
    for fmt in ("text", "json", "junit", "outcome"):
        out = tmp_path / f"bad.{fmt}"
        p = run(*paths, "--format", fmt, "-o", str(out))
        no_traceback(p)
        assert p.returncode == 1, p.stderr
        assert out.stat().st_size > 0
    doc = json.loads((tmp_path / "bad.json").read_text(encoding="utf-8"))
    assert_json_shape(doc)
    rules = {r["source"]: [i["rule"] for i in r["issues"]] for r in doc["results"]}
    for name in ("dir.json", "broken.json", "pipe.json"):  # broken.json: a dangling symlink
        assert rules[str(bad / name)] == ["input.unreadable"], name
    for name in ("latin1.json", "deep-array.json", "huge-int.json", "empty.json", "bom-then-garbage.json"):
        assert rules[str(bad / name)] == ["json.syntax"], name
    assert rules[str(bad / "deep-extension.json")]  # validated (or refused as too deep), never a crash
    if "/proc/self/mem" in rules:
        assert rules["/proc/self/mem"] == ["input.unreadable"]


def test_unwritable_output_is_a_usage_error(tmp_path: Path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the output directory should be", encoding="utf-8")
    p = run("fixtures/valid/r5/patient-erika.json", "--fhir-version", "r5", "-o", str(blocker / "report.txt"))
    no_traceback(p)
    assert p.returncode == 2
    assert "cannot write" in p.stderr


def test_a_path_that_does_not_exist_is_a_usage_error(tmp_path: Path):
    """Issue #20.11: a typo in a path is the caller's mistake (exit 2, one line naming it), not an
    invalid resource; nothing is validated or written."""
    out = tmp_path / "out.json"
    p = run(str(VALID / "r5"), str(tmp_path / "missing.json"), str(tmp_path / "dir" / "missing.ndjson"),
            "--format", "json", "-o", str(out))
    no_traceback(p)
    assert p.returncode == 2, p.stdout + p.stderr
    assert p.stderr.splitlines() == [f"error: {tmp_path / 'missing.json'}: no such file or directory",
                                     f"error: {tmp_path / 'dir' / 'missing.ndjson'}: no such file or directory"]
    assert not out.exists() and p.stdout == ""


def test_files_a_directory_walk_skips_are_counted_and_named(tmp_path: Path):
    d = tmp_path / "export"
    (d / "sub").mkdir(parents=True)
    (d / "study.json").write_bytes((VALID / "r5" / "imagingstudy-ct-chest.json").read_bytes())
    (d / "study.xml").write_text("<ImagingStudy/>")
    (d / "sub" / "notes.txt").write_text("x")
    p = run(str(d))
    no_traceback(p)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-1] == (f"2 file(s) skipped, not .json, .ndjson, .jsonl (validate reads only those): "
                                         f"{d / 'study.xml'}, {d / 'sub' / 'notes.txt'}")
    p = run(str(d), "--format", "json")  # stdout stays one JSON document; the note goes to stderr
    assert json.loads(p.stdout)["summary"]["resources"] == 1 and "2 file(s) skipped" in p.stderr


def test_r4_files_judged_as_r5_get_a_hint_naming_the_version(tmp_path: Path):
    p = run(str(VALID / "r4"))
    assert p.returncode == 1
    hint = [line for line in p.stderr.splitlines() if line.startswith("hint:")]
    assert len(hint) == 1 and "as r5 (the default)" in hint[0] and " r4 " in hint[0] + " " \
        and "--fhir-version" in hint[0], p.stderr
    p = run(str(VALID / "r4"), "--fhir-version", "r4")  # chosen: valid, and no hint
    assert p.returncode == 0 and "hint" not in p.stderr
    p = run(str(INVALID / "binding"))  # R5 resources with R5 errors: no version fits better, no hint
    assert p.returncode == 1 and "hint" not in p.stderr
