"""Content negotiation for both servers: which media types a request may send (Content-Type, 415)
and ask for (`_format` or Accept, 406). The servers speak FHIR JSON only."""

from __future__ import annotations

from harness.server.outcome import FhirError

FHIR_JSON = "application/fhir+json; charset=utf-8"
JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir", "text/json")
FORMAT_OK = ("json", "application/json", "application/fhir+json", "application/json+fhir")


def _media(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def check_format(fmt: str | None, accept: str | None) -> None:
    """406 unless the `_format` parameter or else the Accept header admits FHIR JSON."""
    if fmt is not None and fmt not in FORMAT_OK and _media(fmt) not in FORMAT_OK:
        raise FhirError(406, f"_format={fmt} is not supported: this server speaks FHIR JSON only",
                        code="not-supported")
    if accept and fmt is None:
        kinds = [_media(a) for a in accept.split(",")]
        if not any(k in JSON_TYPES or k in ("*/*", "application/*") or k.endswith("+json") for k in kinds):
            raise FhirError(406, f"cannot answer Accept: {accept} (FHIR JSON only)", code="not-supported")


def check_content_type(content_type: str, segments: list[str], body: bytes) -> None:
    """415 unless a body is FHIR JSON (or a form, for _search)."""
    if not body:
        return
    media = _media(content_type)
    if segments and segments[-1] == "_search" and media == "application/x-www-form-urlencoded":
        return
    if media not in JSON_TYPES:
        raise FhirError(415, f"Content-Type {media or '(none)'} is not supported: send application/fhir+json",
                        code="not-supported")
