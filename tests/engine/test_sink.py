"""The output sink (harness.engine.sink): secret forms, printable text, deep scrubbing, the Bus."""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass
from urllib.parse import quote

from harness.engine.events import Bus
from harness.engine.sink import REDACTED, Sink, printable, secret_forms

TOKEN = "tok.9f_Z+x/Y=="


def test_every_common_encoding_of_a_secret_is_redacted():
    s = Sink([TOKEN])
    lower_hex = re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quote(TOKEN, safe=""))
    for form in (TOKEN, quote(TOKEN, safe=""), lower_hex, quote(TOKEN),
                 base64.b64encode(TOKEN.encode()).decode(), json.dumps(TOKEN)[1:-1]):
        assert TOKEN not in s.redact(f"a {form} b") and s.redact(f"a {form} b") == f"a {REDACTED} b", form


def test_json_and_html_escaped_forms_are_redacted():
    secret = 'p<a>s&s"w/o\\rd'
    s = Sink([secret])
    for form in (html.escape(secret), json.dumps(secret)[1:-1]):
        assert s.redact(f"[{form}]") == f"[{REDACTED}]", form


def test_base64_of_a_secret_inside_a_longer_encoded_text_is_redacted_at_every_alignment():
    s = Sink([TOKEN])
    for prefix in ("", "x", "xy", "Authorization: Bearer "):
        encoded = base64.b64encode(f"{prefix}{TOKEN}|tail".encode()).decode()
        out = s.redact(encoded)
        assert REDACTED in out
        for k in range(3):  # no 8 characters of the secret's own encoding are left
            own = base64.b64encode(b"\0" * k + TOKEN.encode()).decode()[3:11]
            assert own not in out


def test_basic_credentials_are_redacted_encoded_and_decoded():
    value = "Basic " + base64.b64encode(b"oper:pa55-w0rd-9xq").decode()
    s = Sink([value])
    assert s.redact("user oper:pa55-w0rd-9xq here") == f"user {REDACTED} here"
    assert s.redact(value.split(" ")[1]) == REDACTED
    assert s.redact("pa55-w0rd-9xq") == REDACTED  # the password alone
    assert "pa55" not in s.redact(quote("oper:pa55-w0rd-9xq", safe=""))


def test_short_derived_forms_do_not_erase_ordinary_words_but_the_configured_value_is_always_redacted():
    forms = secret_forms("Bearer ab")
    assert "ab" not in forms and "Bearer ab" in forms
    assert Sink(["abc"]).redact("xabcx") == f"x{REDACTED}x"
    assert Sink(["Basic " + base64.b64encode(b"u:pass").decode()]).redact("all assertions passed") == \
        "all assertions passed"


def test_printable_escapes_controls_bidi_and_lone_surrogates_and_keeps_text():
    nasty = "a\x1b]0;title\x07b\x1b[31mc\x9bd\x00e\ud800f\u202eg\rh\x7f\uffff"
    out = printable(nasty)
    assert out == "a\\x1b]0;title\\x07b\\x1b[31mc\\x9bd\\x00e\\ud800f\\u202eg\\x0dh\\x7f\\uffff"
    assert printable("tab\tline\nünïcødé 日本 😀") == "tab\tline\nünïcødé 日本 😀"
    out.encode("utf-8")  # always encodable


@dataclass(frozen=True)
class _Inner:
    text: str
    headers: dict


@dataclass(frozen=True)
class _Outer:
    items: tuple
    n: int


def test_scrub_reaches_every_string_dict_keys_included_and_keeps_clean_values_as_they_are():
    s = Sink([TOKEN])
    clean = _Inner("nothing here", {"a": "b"})
    value = _Outer((clean, _Inner(f"x {TOKEN}\x1b", {f"X-Echo-{TOKEN}": ["\ud800"]})), 3)
    out = s.scrub(value)
    assert out.items[0] is clean and out.n == 3
    assert out.items[1].text == f"x {REDACTED}\\x1b"
    assert out.items[1].headers == {f"X-Echo-{REDACTED}": ["\\ud800"]}
    assert s.scrub(value) is out  # immutable values are scrubbed once


def test_the_bus_delivers_only_scrubbed_events():
    got = []

    class Sub:
        def handle(self, event):
            got.append(event)

    Bus([Sub()], sink=Sink([TOKEN])).emit(_Inner(f"echo {TOKEN}", {}))
    assert got == [_Inner(f"echo {REDACTED}", {})]


def test_server_log_lines_are_printable_and_one_line_each():
    import io
    import logging

    import harness.server.app  # noqa: F401 - attaches the filter to the server's logger

    log = logging.getLogger("harness.server")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    log.addHandler(handler)
    try:
        try:
            raise ValueError("bad \x1b[2J value \ud800")
        except ValueError:
            log.exception("internal error on %s %s", "GET", "/x\x1b]0;owned\x07\n2026-01-01 forged line")
    finally:
        log.removeHandler(handler)
    text = out.getvalue()
    text.encode("utf-8")
    assert "\x1b" not in text and "\x07" not in text
    assert text.splitlines()[0] == "internal error on GET /x\\x1b]0;owned\\x07\\n2026-01-01 forged line"
    assert "ValueError: bad \\x1b[2J value \\ud800" in text


def test_credentials_in_the_server_url_are_secrets_too():
    from harness.engine.http import Client, ClientConfig

    client = Client(ClientConfig("http://oper:s3cret-pa55@127.0.0.1:9/fhir"))
    assert client.redact("http://oper:s3cret-pa55@127.0.0.1:9/fhir") == f"http://{REDACTED}@127.0.0.1:9/fhir"
    basic = base64.b64encode(b"oper:s3cret-pa55").decode()
    assert client.redact(f"Authorization: Basic {basic}") == f"Authorization: {REDACTED}"
