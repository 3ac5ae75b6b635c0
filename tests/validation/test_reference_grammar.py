"""One room reads FHIR ids and literal references (harness/validation/references.py), and every part
that parses one uses it: the imaging rules, the search oracle, the engine's id gate, the reference
server's index and its id check, and the generated checkers' id scan.

The two readings of a literal reference kept there agree on every text without a line break and
differ only on one with a line break, where the server's index (parse_reference) refuses the
reference and the imaging rules and the oracle (type_and_id) still take Type/id from its end."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.engine import ids
from harness.imaging import uids
from harness.validation import codegen, references
from harness.validation.references import ID_RE, is_id, parse_reference, service_base, type_and_id

PIECES = st.sampled_from(["ImagingStudy", "Patient", "p", "/", "1", "a.b", "-", ".", "_history", "x_y",
                          "http://h/fhir", "é", " ", "?", "\n"])
TEXT = st.lists(PIECES, max_size=9).map("".join)
SPEC_ID = re.compile(r"[A-Za-z0-9\-\.]{1,64}", re.ASCII)  # FHIR datatypes, id


@settings(max_examples=3000, deadline=None)
@given(TEXT)
def test_both_readings_agree_without_a_line_break(text):
    parsed = parse_reference(text)
    if "\n" not in text:
        assert type_and_id(text) == (parsed[:2] if parsed else None)
    elif parsed is not None:
        assert type_and_id(text) == parsed[:2]


def test_a_line_break_in_the_base_is_refused_by_the_server_reading_only():
    text = "http://h/a\nb/ImagingStudy/1"
    assert parse_reference(text) is None
    assert type_and_id(text) == ("ImagingStudy", "1")


def test_literal_references():
    assert parse_reference("ImagingStudy/1") == ("ImagingStudy", "1", None)
    assert parse_reference("http://h/fhir/ImagingStudy/1/_history/2") == ("ImagingStudy", "1", "http://h/fhir")
    assert type_and_id("http://h/fhir/ImagingStudy/1/_history/2") == ("ImagingStudy", "1")
    assert type_and_id("ImagingStudy/1/extra") is None and parse_reference("ImagingStudy?identifier=x") is None
    assert service_base("http://h/fhir/ImagingStudy/1/_history/2") == "http://h/fhir/"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZ09-._/é \n"), max_size=70))
def test_every_id_check_is_the_datatype_regex(value):
    spec = SPEC_ID.fullmatch(value) is not None
    assert is_id(value) == spec and (ID_RE.fullmatch(value) is not None) == spec
    assert codegen.id_fails(value) != spec  # the C-loop twin of the regex (compiled build)
    assert (uids.encoded(value, "id") != []) == spec
    assert (ids.id_problem(value) is None) == (spec and value not in (".", ".."))


def test_the_generated_checkers_key_their_id_scan_by_the_shared_regex():
    assert list(codegen.SCANS) == [references.ID_REGEX]
