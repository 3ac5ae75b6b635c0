"""Bring an older StructureDefinition's ElementDefinitions to the R4 shape that
scripts/build_definitions.py reads (standard library only).

FHIR STU3 (3.0.x, package hl7.fhir.r3.examples) writes the same facts differently from R4:

* `type.targetProfile` and `type.profile` are single strings, and a Reference to several target
  types is written as several `type` entries with the same code (one per target);
* `binding.valueSetReference.reference` / `binding.valueSetUri` instead of `binding.valueSet`;
* a primitive's `value` element has no type code at all: its `_code` carries the JSON type
  (structuredefinition-json-type) and the XML Schema type (structuredefinition-xml-type);
* the regex of a primitive is the extension `structuredefinition-regex` (R4: `regex`);
* attributes (`Element.id`, `Extension.url`; `representation: ["xmlAttr"]`) are typed as FHIR
  primitives (`string`, `uri`) where R4 types them `System.String` with a fhir-type extension.

`upgrade(sd)` rewrites these in place into R4's form, so that one code path builds every version.
On an R4 or R5 StructureDefinition it changes nothing (every rewrite is keyed on the older shape).
"""

from __future__ import annotations

SD_PREFIX = "http://hl7.org/fhir/StructureDefinition/"
SYSTEM_PREFIX = "http://hl7.org/fhirpath/"
EXT_FHIR_TYPE = SD_PREFIX + "structuredefinition-fhir-type"
EXT_JSON_TYPE = SD_PREFIX + "structuredefinition-json-type"
EXT_XML_TYPE = SD_PREFIX + "structuredefinition-xml-type"
EXT_REGEX = {SD_PREFIX + "structuredefinition-regex": SD_PREFIX + "regex"}  # STU3 name -> R4 name

#: the FHIRPath system type of a STU3 primitive value, from the XML Schema type its definition
#: declares (FHIRPath 1.0 §Types / R4 §2.1.9 map the same primitives to the same System types);
#: any other XML Schema type (xsd:string, xsd:token, xsd:anyURI, xsd:base64Binary, xhtml:div) is a
#: System.String
XSD_SYSTEM = {
    "xsd:boolean": "System.Boolean",
    "xsd:int": "System.Integer",
    "xsd:positiveInteger": "System.Integer",
    "xsd:nonNegativeInteger": "System.Integer",
    "xsd:decimal": "System.Decimal",
    "xsd:time": "System.Time",
    "xsd:dateTime": "System.DateTime",
    "xsd:gYear OR xsd:gYearMonth OR xsd:date": "System.Date",
    "xsd:gYear OR xsd:gYearMonth OR xsd:date OR xsd:dateTime": "System.DateTime",
}
#: the System type of an attribute typed with a FHIR primitive (STU3 Element.id, Extension.url)
ATTRIBUTE_SYSTEM = {"string": "System.String", "uri": "System.String", "id": "System.String"}


def _ext(exts, url: str):
    for x in exts or ():
        if isinstance(x, dict) and x.get("url") == url:
            return x.get("valueString") or x.get("valueUri") or x.get("valueUrl") or x.get("valueCode")
    return None


def _as_list(v):
    return [v] if isinstance(v, str) else v


def _binding(b: dict) -> None:
    if b.get("valueSet"):
        return
    url = (b.get("valueSetReference") or {}).get("reference") or b.get("valueSetUri")
    if url:
        b["valueSet"] = url


def _primitive_value(t: dict, path: str) -> dict:
    """A STU3 primitive value type (no code) -> the R4 form: a System type code."""
    exts = (t.get("_code") or {}).get("extension")
    xml = _ext(exts, EXT_XML_TYPE)
    if _ext(exts, EXT_JSON_TYPE) is None and xml is None:
        raise SystemExit(f"{path}: type without code, JSON type or XML type: {t}")
    out = {k: v for k, v in t.items() if k != "_code"}
    if out.get("extension"):
        out["extension"] = [{**x, "url": EXT_REGEX.get(x.get("url"), x.get("url"))} for x in out["extension"]]
    out["code"] = SYSTEM_PREFIX + XSD_SYSTEM.get(xml or "", "System.String")
    return out


def _attribute(t: dict, path: str) -> dict:
    """A STU3 attribute typed with a FHIR primitive -> R4's System type with a fhir-type extension."""
    system = ATTRIBUTE_SYSTEM.get(t["code"])
    if system is None:
        raise SystemExit(f"{path}: attribute of type {t['code']!r} has no System type mapping")
    return {**t, "code": SYSTEM_PREFIX + system,
            "extension": [*(t.get("extension") or ()), {"url": EXT_FHIR_TYPE, "valueUrl": t["code"]}]}


def _types(e: dict) -> list[dict]:
    path = e.get("path", "?")
    attribute = "xmlAttr" in (e.get("representation") or ()) and not path.endswith(".value")
    out: list[dict] = []
    by_code: dict[str, dict] = {}
    for t in e.get("type") or ():
        t = dict(t)
        for key in ("targetProfile", "profile"):
            if key in t:
                t[key] = list(_as_list(t[key]))
        if t.get("code") is None and "_code" in t:
            t = _primitive_value(t, path)
        elif attribute and t.get("code") in ATTRIBUTE_SYSTEM and not _ext(t.get("extension"), EXT_FHIR_TYPE):
            t = _attribute(t, path)
        seen = by_code.get(t.get("code"))
        if seen is not None:  # STU3: one entry per Reference target -> one entry, targets listed
            for key in ("targetProfile", "profile"):
                if not t.get(key) or not seen.get(key):  # one entry without: any target / profile
                    seen.pop(key, None)
                else:
                    seen[key] = [*seen[key], *(u for u in t[key] if u not in seen[key])]
            continue
        by_code[t.get("code")] = t
        out.append(t)
    return out


def upgrade(sd: dict) -> dict:
    """Rewrite the snapshot's elements of `sd` into the R4 shape (in place); returns sd."""
    for e in (sd.get("snapshot") or {}).get("element") or ():
        if e.get("binding"):
            _binding(e["binding"])
        if e.get("type"):
            e["type"] = _types(e)
    return sd
