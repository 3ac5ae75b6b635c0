"""Narrative.div checks: xhtml well-formedness, txt-1 (allowed content), txt-2 (some content)."""

import pytest

from harness.validation.narrative import MAX_DEPTH, NarrativeProblem, check_div

NS = 'xmlns="http://www.w3.org/1999/xhtml"'


def div(body: str, attrs: str = NS) -> str:
    return f"<div {attrs}>{body}</div>"


def keys(problems):
    return [(p.key, p.severity) for p in problems]


def only(problems, key, severity="error"):
    assert keys(problems) == [(key, severity)], problems
    return problems[0].message


# --- passing narratives ------------------------------------------------------------------------

GOOD = div(
    '<p class="x" style="color:red" id="p1" lang="en" xml:lang="en" title="t" dir="ltr">Hello '
    '<a href="http://hl7.org/fhir" name="top" rel="help">FHIR</a> &#160; &lt;&amp;&gt;</p>'
    '<table border="1" cellpadding="2" cellspacing="0" summary="s" width="100%">'
    '<caption>Results</caption><colgroup span="2"><col width="10"/></colgroup>'
    '<thead><tr><th scope="col" abbr="n">Name</th><th>Value</th></tr></thead>'
    '<tbody><tr><td colspan="1" rowspan="1" align="left" valign="top">a</td><td>b</td></tr></tbody>'
    '</table>'
    '<img src="#pic" alt="picture" height="10" width="10"/>'
    '<ul type="disc"><li>one</li></ul><ol start="2" type="1"><li value="3">two</li></ol>'
    '<blockquote cite="#src">quoted <q cite="#q">inner</q></blockquote>'
    '<!-- comments are allowed --><![CDATA[ raw <text> ]]>'
)


def test_good_div_with_table_img_and_links_passes():
    assert check_div(GOOD) == []


def test_good_div_minimal_and_with_data_image():
    assert check_div(div("Some text")) == []
    assert check_div(div('<img src="data:image/png;base64,iVBORw0KGgo=" alt="x"/>')) == []


def test_problem_is_a_frozen_dataclass():
    p = check_div(div(""))[0]
    assert isinstance(p, NarrativeProblem)
    with pytest.raises(AttributeError):
        p.key = "x"


# --- xhtml: well-formedness, root, namespace -----------------------------------------------------

def test_missing_namespace():
    msg = only(check_div("<div>text</div>"), "xhtml")
    assert "http://www.w3.org/1999/xhtml" in msg and "no namespace" in msg


def test_wrong_namespace():
    msg = only(check_div('<div xmlns="http://example.org/x">text</div>'), "xhtml")
    assert "http://example.org/x" in msg


def test_wrong_root_element():
    msg = only(check_div(f"<p {NS}>text</p>"), "xhtml")
    assert "<div>" in msg and "<p>" in msg


def test_not_well_formed_reports_line_and_column():
    problems = check_div(f"<div {NS}>\n<p>text\n</div>")
    msg = only(problems, "xhtml")
    assert "not well-formed" in msg and "mismatched tag" in msg
    assert "line 3, column 3" in msg


def test_empty_string_and_plain_text_are_not_xml():
    assert keys(check_div("")) == [("xhtml", "error")]
    assert keys(check_div("just text")) == [("xhtml", "error")]


def test_nbsp_entity_suggests_numeric_reference():
    msg = only(check_div(div("a&nbsp;b")), "xhtml")
    assert "&nbsp;" in msg and "&#160;" in msg and "line 1" in msg


def test_nbsp_entity_on_later_line_with_non_ascii_text():
    msg = only(check_div(div("\n<p>é &eacute;</p>")), "xhtml")
    assert "&eacute;" in msg and "&#233;" in msg and "line 2" in msg


def test_numeric_character_references_are_fine():
    assert check_div(div("a&#160;b&#xA0;c")) == []


def test_doctype_is_refused():
    doc = '<!DOCTYPE div [<!ENTITY x "y">]>' + div("&x;")
    msg = only(check_div(doc), "xhtml")
    assert "DOCTYPE" in msg


def test_billion_laughs_is_refused_quickly():
    lol = "".join(f'<!ENTITY l{i} "{"&l%d;" % (i - 1) * 10}">' for i in range(1, 10))
    doc = f'<!DOCTYPE div [<!ENTITY l0 "lol">{lol}]>' + div("&l9;")
    assert keys(check_div(doc)) == [("xhtml", "error")]


def test_external_entity_is_refused():
    doc = '<!DOCTYPE div [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + div("&e;")
    assert keys(check_div(doc)) == [("xhtml", "error")]


def test_processing_instruction_is_an_error_comment_is_not():
    assert "processing instruction" in only(check_div(div("x<?php echo 1 ?>")), "xhtml")
    assert check_div(div("x<!-- fine -->")) == []


def test_xml_declaration_is_an_error():
    assert keys(check_div('<?xml version="1.0"?>' + div("x"))) == [("xhtml", "error")]


def test_huge_input_is_refused():
    big = div("x" * 2000)
    msg = only(check_div(big, max_length=1000), "xhtml")
    assert "limit" in msg
    assert check_div(big) == []


def test_too_deep_is_refused():
    n = MAX_DEPTH + 5
    deep = div("<span>" * n + "x" + "</span>" * n)
    assert "deep" in only(check_div(deep), "xhtml")
    ok = div("<span>" * 50 + "x" + "</span>" * 50)
    assert check_div(ok) == []


@pytest.mark.parametrize("value", [None, 42, b"<div/>", ["<div/>"], {"div": "x"}])
def test_non_string_input_is_one_problem(value):
    assert keys(check_div(value)) == [("xhtml", "error")]


def test_unpaired_surrogate_does_not_raise():
    assert keys(check_div(div("a\ud800b"))) == [("xhtml", "error")]


# --- txt-1: allowed elements and attributes ------------------------------------------------------

@pytest.mark.parametrize("element", ["script", "form", "input", "button", "iframe", "object",
                                     "embed", "base", "link", "meta", "style", "font", "ins", "blink"])
def test_forbidden_elements(element):
    msg = only(check_div(div(f"text<{element}>x</{element}>")), "txt-1")
    assert f"<{element}>" in msg and "not allowed" in msg and "line 1" in msg


def test_script_element_message():
    msg = only(check_div(div("x<script>alert(1)</script>")), "txt-1")
    assert msg.startswith("element <script> is not allowed (txt-1)")


def test_form_with_inputs_reports_each_element():
    problems = check_div(div('text<form action="x"><input name="a"/><button>go</button></form>'))
    assert {p.key for p in problems} == {"txt-1"}
    assert len(problems) == 3


@pytest.mark.parametrize("attr", ["onclick", "onClick", "onload", "onmouseover"])
def test_event_handler_attributes(attr):
    msg = only(check_div(div(f'<p {attr}="alert(1)">x</p>')), "txt-1")
    assert attr in msg and "event handler" in msg


def test_javascript_href():
    for href in ["javascript:alert(1)", "  JavaScript:alert(1)", "java\tscript:alert(1)",
                 "vbscript:msgbox"]:
        msg = only(check_div(div(f'<a href="{href}">x</a>')), "txt-1")
        assert "script URL" in msg


def test_javascript_in_img_src_and_style():
    assert keys(check_div(div('<img src="javascript:x" alt=""/>'))) == [("txt-1", "error")]
    assert keys(check_div(div('<p style="background:url(javascript:x)">t</p>'))) == [("txt-1", "error")]


def test_non_script_hrefs_pass():
    assert check_div(div('<a href="#x">a</a><a href="Patient/1">b</a><a href="https://x.org/javascript:">c</a>')) == []


def test_unknown_attribute():
    msg = only(check_div(div('<p align="left">x</p>')), "txt-1")
    assert "attribute align on <p>" in msg
    msg = only(check_div(div('<img src="#a" usemap="#m"/>')), "txt-1")
    assert "usemap" in msg


def test_foreign_namespaced_attribute():
    body = '<a xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="#a">x</a>'
    msg = only(check_div(div(body)), "txt-1")
    assert "xlink" in msg


def test_svg_element():
    body = 'x<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'
    problems = check_div(div(body))
    assert {p.key for p in problems} == {"txt-1"}
    assert "http://www.w3.org/2000/svg" in problems[0].message


def test_mathml_prefixed_element():
    body = 'x<m:math xmlns:m="http://www.w3.org/1998/Math/MathML"><m:mi>x</m:mi></m:math>'
    assert {p.key for p in check_div(div(body))} == {"txt-1"}


def test_repeated_problem_is_reported_once_with_count():
    msg = only(check_div(div("x" + "<font>a</font>" * 5)), "txt-1")
    assert "4 more" in msg


# --- txt-2: some non-whitespace content ----------------------------------------------------------

@pytest.mark.parametrize("body", ["", "   \n\t  ", "<p> </p><br/>", "<!-- only a comment -->"])
def test_empty_or_whitespace_div_fails_txt2(body):
    msg = only(check_div(div(body)), "txt-2")
    assert "txt-2" in msg


def test_self_closing_empty_div_fails_txt2():
    assert keys(check_div(f"<div {NS}/>")) == [("txt-2", "error")]


def test_div_with_only_img_passes_txt2():
    assert check_div(div('<img src="#pic" alt=""/>')) == []


def test_nbsp_character_counts_as_content():
    assert check_div(div("&#160;")) == []


# --- warnings ------------------------------------------------------------------------------------

def test_external_img_src_is_a_warning():
    msg = only(check_div(div('<img src="https://example.org/a.png" alt="a"/>')), "txt-1", "warning")
    assert "external" in msg


def test_warning_alone_does_not_hide_errors():
    body = '<img src="http://example.org/a.png"/><script>x</script>'
    assert sorted(keys(check_div(div(body)))) == [("txt-1", "error"), ("txt-1", "warning")]


def test_unknown_named_entity():
    msg = only(check_div(div("&foo;")), "xhtml")
    assert "&foo;" in msg and "&amp;" in msg


def test_other_html4_chapter_7_to_11_elements_pass():
    body = '<address>1 Main St</address><p><kbd>Ctrl</kbd> <bdo dir="rtl">abc</bdo></p>'
    body += '<table><tr align="left" valign="top"><td>x</td></tr></table>'
    assert check_div(div(body)) == []


# --- the regex fast accept, held to the parse ----------------------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

from harness.validation import narrative  # noqa: E402

_ODD_NAMES = ["img", "script", "P", "x1", "svg", "table"]
_ODD_TEXT = list("\t\r\n>]&<;é\x00\x0b\x7f\ufffe\U0001F600") + ["\ud800"]


def _names(odd: bool):
    return st.sampled_from(["p", "b", "i", "span", "br", "div", "em"] + (_ODD_NAMES if odd else []))


def _text(odd: bool):
    return st.text(alphabet=st.sampled_from(list("ab  ") + (_ODD_TEXT if odd else [])), max_size=6)


@st.composite
def _balanced(draw, depth=0, odd=None):
    """Nested markup; odd=False draws only what the fast accept may take (often balanced and
    with text, so that side is exercised), odd=True anything (mismatched, self-closed, odd text)."""
    odd = draw(st.booleans()) if odd is None else odd
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.integers(0, 3 if depth < 3 else 1))
        if kind == 0:
            parts.append(draw(_text(odd)))
        elif kind == 1:
            tag = st.builds(lambda close, name, empty: f"<{'/' if close else ''}{name}{'/' if empty else ''}>",
                            st.booleans() if odd else st.just(False), _names(odd), st.booleans() if odd else st.just(True))
            parts.append(draw(tag))
        else:
            name = draw(_names(odd))
            parts.append(f"<{name}>{draw(_balanced(depth + 1, odd))}</{name}>")
    return "".join(parts)


def _parsed(d: str, max_depth: int = MAX_DEPTH):
    """check_div with the fast accept off: the expat parse alone."""
    fast, narrative._plainly_fine = narrative._plainly_fine, lambda *a: False
    try:
        return check_div(d, max_depth=max_depth)
    finally:
        narrative._plainly_fine = fast


@settings(max_examples=1500, deadline=None)
@given(_balanced(), st.sampled_from([NS, 'xmlns="http://www.w3.org/1999/xhtml" class="c"', "", 'xmlns="urn:x"']),
       st.sampled_from([3, MAX_DEPTH]))
def test_the_fast_accept_passes_only_what_the_parse_passes(body, attrs, depth):
    d = f"<div {attrs}>{body}</div>" if attrs else f"<div>{body}</div>"
    if narrative._plainly_fine(d, depth):
        assert _parsed(d, depth) == []
    assert check_div(d, max_depth=depth) == _parsed(d, depth)


def test_the_fast_accept_takes_the_usual_generated_narrative():
    for body in ("<p>CT Chest, 2024-02-07: 3 series, 47 instances</p>", "<p>a <b>b</b><br/>c</p>",
                 "<div><p>x</p><p>y</p></div>", "text only"):
        assert narrative._plainly_fine(div(body), MAX_DEPTH), body
    for body in ("<p>a &amp; b</p>", '<p class="x">a</p>', "<p>a</p", "<p>   </p>", "<img/>", "<script>x</script>",
                 "<p>a</b>", "<P>a</P>"):
        assert not narrative._plainly_fine(div(body), MAX_DEPTH), body
