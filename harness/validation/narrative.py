# imaging-harness: compiled
"""Native FHIR narrative checks: the htmlChecks() behind txt-1 and txt-2 on Narrative.div.

fhirpathpy has no htmlChecks(), so Narrative.div is checked here, standard library only: the div is
parsed once with xml.parsers.expat (namespace-aware) and every event is checked as it streams past.

Rules (FHIR R4/R5 Narrative, Narrative.div):
  xhtml  well-formed XML whose root is <div> in the XHTML namespace (xmlns="http://www.w3.org/1999/xhtml")
  txt-1  "only the basic html formatting elements and attributes described in chapters 7-11 (except
         section 4 of chapter 9) and 15 of the HTML 4.0 standard, <a> elements (either name or href),
         images and internally contained style attributes"; no scripts, forms, objects, frames, event
         handlers, base/link/meta or foreign (svg, MathML, ...) elements
  txt-2  "The narrative SHALL have some non-whitespace content" (text, or an <img>)

Safety: DOCTYPE and ENTITY declarations are refused before expat expands anything (no billion-laughs,
no external entities), input length and element depth are bounded, and check_div never raises.
"""

from __future__ import annotations

import html.entities
import re
from dataclasses import dataclass
from xml.parsers import expat

XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_NS = "http://www.w3.org/XML/1998/namespace"
MAX_DIV_LENGTH = 4 * 1024 * 1024  # characters; official R4 examples reach 1.8 M (ValueSet-c80-doc-typecodes)
MAX_DEPTH = 200

#: Elements permitted by txt-1. The base list is the agreed reading of HTML 4.0 chapters 7-11 and 15
#: minus 9.4 (ins/del), plus <a> and <img>.
ALLOWED_ELEMENTS = frozenset("""
    a abbr acronym b big blockquote br caption cite code col colgroup dd dfn div dl dt em
    h1 h2 h3 h4 h5 h6 hr i img li ol p pre q samp small span strong sub sup
    table tbody td tfoot th thead tr tt ul var""".split()) | frozenset(
    # HTML 4.0 ch. 7.5.6 (address), 8.2.4 (bdo), 9.2.1 (kbd): named by txt-1's chapter range and
    # accepted by the HL7 reference validator (XhtmlValidator.HTML_ELEMENTS).
    ("address", "bdo", "kbd"))

#: Attributes allowed on every element (xml:lang is checked by namespace, see _check_attributes).
GLOBAL_ATTRIBUTES = frozenset({"class", "style", "id", "lang", "title", "dir"})
_CELL = frozenset({"colspan", "rowspan", "align", "valign", "abbr", "axis", "headers", "scope",
                   "char", "charoff"})
_COLS = frozenset({"span", "width", "align", "valign", "char", "charoff"})
_ROWS = frozenset({"align", "valign", "char", "charoff"})  # HTML 4.0 11.3.2 cellhalign/cellvalign
ELEMENT_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "name", "rel", "type", "hreflang", "rev"}),
    "img": frozenset({"src", "alt", "height", "width"}),
    "td": _CELL, "th": _CELL,
    "tr": _ROWS, "tbody": _ROWS, "thead": _ROWS, "tfoot": _ROWS,
    "table": frozenset({"border", "cellpadding", "cellspacing", "frame", "rules", "summary", "width"}),
    "col": _COLS, "colgroup": _COLS,
    "ol": frozenset({"start", "type"}),
    "ul": frozenset({"type"}),
    "li": frozenset({"value", "type"}),
    "blockquote": frozenset({"cite"}), "q": frozenset({"cite"}),
}
#: Attributes whose value is a URL (checked for script schemes); style may hide one in url(...).
URL_ATTRIBUTES = frozenset({"href", "src", "cite", "style"})
_SCRIPT_SCHEME = re.compile(r"(?:javascript|vbscript):", re.IGNORECASE)
_STRIP_CONTROLS = re.compile(r"[\x00-\x20]+")  # browsers ignore these inside/before a scheme
_XML_WS = " \t\r\n"
_ENTITY_REF = re.compile(r"&([A-Za-z_][\w.\-]*);")
_XML_ENTITIES = frozenset({"lt", "gt", "amp", "quot", "apos"})


@dataclass(frozen=True)
class NarrativeProblem:
    key: str  # "txt-1", "txt-2", or "xhtml" (not well-formed / wrong root / namespace)
    severity: str  # "error" | "warning"
    message: str


class _Abort(Exception):
    """Stops the parse: the document is refused outright (DOCTYPE, ENTITY, too deep)."""


class _Checker:
    def __init__(self, max_depth: int):
        self.max_depth = max_depth
        self.parser = expat.ParserCreate(namespace_separator=" ")
        p = self.parser
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartDoctypeDeclHandler = self._doctype
        p.EntityDeclHandler = self._entity
        p.ProcessingInstructionHandler = self._pi
        p.XmlDeclHandler = self._xmldecl
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.CharacterDataHandler = self._text
        self.depth = 0
        self.root_ns: str | None = None
        self.has_content = False
        # (key, severity, message) -> [first location, count]: one problem per distinct finding
        self.found: dict[tuple[str, str, str], list] = {}

    # --- helpers ---------------------------------------------------------------------------------
    def _where(self) -> str:
        return f"line {self.parser.CurrentLineNumber}, column {self.parser.CurrentColumnNumber + 1}"

    def add(self, key: str, message: str, severity: str = "error", where: str | None = None) -> None:
        slot = self.found.setdefault((key, severity, message), [where or self._where(), 0])
        slot[1] += 1

    def problems(self) -> list[NarrativeProblem]:
        out = []
        for (key, severity, message), (where, count) in self.found.items():
            more = f"; {count - 1} more like it" if count > 1 else ""
            out.append(NarrativeProblem(key, severity, f"{message} at {where}{more}"))
        return out

    # --- expat handlers --------------------------------------------------------------------------
    def _doctype(self, *args) -> None:
        raise _Abort(f"DOCTYPE declarations are not allowed in a narrative div (refused at {self._where()})")

    def _entity(self, *args) -> None:
        raise _Abort(f"ENTITY declarations are not allowed in a narrative div (refused at {self._where()})")

    def _pi(self, target, data) -> None:
        self.add("xhtml", f"processing instruction <?{target}?> is not allowed in a narrative div")

    def _xmldecl(self, *args) -> None:
        self.add("xhtml", "an XML declaration (<?xml ...?>) is not allowed in a narrative div")

    def _text(self, data: str) -> None:
        if not self.has_content and self.depth and data.strip(_XML_WS):
            self.has_content = True

    def _end(self, name: str) -> None:
        self.depth -= 1

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise _Abort(f"elements are nested more than {self.max_depth} deep (refused at {self._where()})")
        ns, _, local = name.rpartition(" ")
        ns = ns or None
        if self.depth == 1:
            self.root_ns = ns
            if local != "div":
                self.add("xhtml", f"the root element must be <div>, not <{local}>")
            if ns != XHTML_NS:
                found = f"namespace {ns}" if ns else "no namespace"
                self.add("xhtml", f'the root <{local}> is in {found}; it must declare '
                                  f'xmlns="{XHTML_NS}"')
        elif ns not in (XHTML_NS, self.root_ns):
            found = f"namespace {ns}" if ns else "no namespace"
            self.add("txt-1", f"element <{local}> in {found} is not allowed: only XHTML elements (txt-1)")
            return self._check_attributes(local, attrs, known=False)
        if local not in ALLOWED_ELEMENTS:
            self.add("txt-1", f"element <{local}> is not allowed (txt-1)")
        elif local == "img":
            self.has_content = True
        self._check_attributes(local, attrs, known=local in ALLOWED_ELEMENTS)

    def _check_attributes(self, element: str, attrs: dict[str, str], known: bool) -> None:
        allowed = ELEMENT_ATTRIBUTES.get(element, ())
        for qname, value in attrs.items():
            ans, _, local = qname.rpartition(" ")
            if ans:
                if not (ans == XML_NS and local in ("lang", "space")):
                    self.add("txt-1", f"attribute {{{ans}}}{local} on <{element}> is not allowed (txt-1)")
                continue
            if local.lower().startswith("on"):
                self.add("txt-1", f"event handler attribute {local} on <{element}> is not allowed (txt-1)")
                continue
            if known and local not in GLOBAL_ATTRIBUTES and local not in allowed:
                self.add("txt-1", f"attribute {local} on <{element}> is not allowed (txt-1)")
            if local in URL_ATTRIBUTES:
                self._check_url(element, local, value)

    def _check_url(self, element: str, attr: str, value: str) -> None:
        squashed = _STRIP_CONTROLS.sub("", value)
        if (_SCRIPT_SCHEME.search(squashed) if attr == "style" else _SCRIPT_SCHEME.match(squashed)):
            self.add("txt-1", f"{attr} on <{element}> uses a script URL, which is not allowed (txt-1)")
        elif element == "img" and attr == "src" and squashed.lower().startswith(("http:", "https:")):
            self.add("txt-1", f"<img> src {value.strip()[:100]!r} is an external image; narrative images "
                              "SHOULD be internal (a '#id' contained reference or a data: URL)", "warning")


def _undefined_entity_hint(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    m = None
    if 0 < line <= len(lines):
        m = _ENTITY_REF.match(lines[line - 1], column)
    if m is None:  # column was off (e.g. multi-byte text): the first non-XML entity is the culprit
        m = next((x for x in _ENTITY_REF.finditer(text) if x.group(1) not in _XML_ENTITIES), None)
    if m is None:
        return ""
    name = m.group(1)
    code = html.entities.name2codepoint.get(name)
    if code is None:
        return f" &{name}; (without a DTD XML defines only &lt; &gt; &amp; &quot; &apos;)"
    return (f" &{name};: HTML named entities are not defined in XML (FHIR narrative is XML without a "
            f"DTD); use the numeric reference &#{code};")


def check_div(div: str, *, max_length: int = MAX_DIV_LENGTH,
              max_depth: int = MAX_DEPTH) -> list[NarrativeProblem]:
    """All problems with one Narrative.div value; an empty list means it passes txt-1 and txt-2."""
    try:
        return _check(div, max_length, max_depth)
    except Exception as e:  # never raise: report the failure as a problem with the div
        return [NarrativeProblem("xhtml", "error",
                                 f"narrative div could not be checked ({type(e).__name__}: {str(e)[:200]})")]


_ROOT_OPEN = f'<div xmlns="{XHTML_NS}">'
_PLAIN_TAG = re.compile(r"<(/?)([a-z][a-z0-9]*)(/?)>")  # a tag without attributes
#: what may not be left once the plain tags are taken out: markup characters (no '>' either, so
#: never ']]>') and characters XML 1.0 does not allow
_NOT_PLAIN_TEXT = re.compile(r"[<>&\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_PLAIN_ELEMENTS = ALLOWED_ELEMENTS - {"img"}  # what an <img> needs is in its attributes


def _plainly_fine(div: str, max_depth: int) -> bool:
    """True only when the expat check below would find nothing: the XHTML root, then text and
    attribute-less tags of allowed elements, properly nested, with some non-whitespace text. The
    usual generated narrative (a <p> or two) is decided here at regex speed; anything else, and
    everything with a finding, is parsed (tests/validation/test_narrative.py holds the two to each other)."""
    if not (div.startswith(_ROOT_OPEN) and div.endswith("</div>")):
        return False
    inner = div[len(_ROOT_OPEN):-6]
    text = _PLAIN_TAG.sub("", inner)  # every '<' left over did not start a plain tag
    if _NOT_PLAIN_TEXT.search(text) is not None:
        return False
    open_: list[str] = []
    for close, name, empty in _PLAIN_TAG.findall(inner):
        if name not in _PLAIN_ELEMENTS or (close and empty):
            return False
        if close:
            if not open_ or open_.pop() != name:
                return False
        elif len(open_) + 1 >= max_depth:  # with the root, this element would be too deep
            return False
        elif not empty:
            open_.append(name)
    return not open_ and bool(text.strip(_XML_WS))


#: the fast accept is tried up to this length: a long div is mostly text, which expat scans faster
PLAIN_MAX = 4096


def _check(div: object, max_length: int, max_depth: int) -> list[NarrativeProblem]:
    if isinstance(div, str) and len(div) <= min(max_length, PLAIN_MAX) and _plainly_fine(div, max_depth):
        return []
    if not isinstance(div, str):
        return [NarrativeProblem("xhtml", "error",
                                 f"narrative div must be a string of XHTML, not {type(div).__name__}")]
    if len(div) > max_length:
        return [NarrativeProblem("xhtml", "error", f"narrative div is {len(div)} characters long, over "
                                                   f"the {max_length}-character limit; not checked")]
    try:
        data = div.encode("utf-8")
    except UnicodeEncodeError as e:
        return [NarrativeProblem("xhtml", "error", f"narrative div contains an unpaired surrogate at "
                                                   f"character {e.start}; it is not valid XML text")]
    checker = _Checker(max_depth)
    try:
        checker.parser.Parse(data, True)
    except _Abort as e:
        return checker.problems() + [NarrativeProblem("xhtml", "error", str(e))]
    except expat.ExpatError as e:
        reason = expat.ErrorString(e.code)
        hint = ""
        if e.code == expat.errors.codes[expat.errors.XML_ERROR_UNDEFINED_ENTITY]:
            hint = _undefined_entity_hint(div, e.lineno, e.offset)
        return checker.problems() + [NarrativeProblem(
            "xhtml", "error", f"narrative div is not well-formed XML: {reason}{hint} "
                              f"(line {e.lineno}, column {e.offset + 1})")]
    problems = checker.problems()
    if not checker.has_content:
        problems.append(NarrativeProblem("txt-2", "error", "the narrative div has no non-whitespace "
                                                           "content: no text and no <img> (txt-2)"))
    return problems
