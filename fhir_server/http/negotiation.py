"""Content negotiation: ``_format``, ``Accept``, ``Content-Type``, ``_pretty`` and ``Prefer``."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from resources import error_codes
from resources.errors import Invalid, NotAcceptable, UnsupportedMediaType

FHIR_JSON = "application/fhir+json"
JSON_TYPES = frozenset(
    {FHIR_JSON, "application/json", "application/json+fhir", "json", "text/json"}
)
_ANY = frozenset({"*/*", "application/*"})
JSON_PATCH = "application/json-patch+json"
PATCH_TYPES = frozenset({JSON_PATCH, FHIR_JSON, "application/json+fhir"})
"""JSON Patch, or FHIRPath Patch (a ``Parameters`` resource)."""
RETURN_PREFERENCES = frozenset({"minimal", "representation", "OperationOutcome"})


def _media_types(header: str) -> list[str]:
    return [part.split(";")[0].strip().lower() for part in header.split(",") if part.strip()]


def response_media_type(request: Request) -> str:
    """The media type to answer with, or ``NotAcceptable`` (406)."""
    requested = request.query_params.get("_format")
    if requested is not None:
        # An unescaped "+" in a query string decodes to a space ("application/fhir json").
        media = requested.split(";")[0].strip().lower().replace(" ", "+")
        if media not in JSON_TYPES:
            raise NotAcceptable(
                f"_format={requested} is not supported; this server speaks FHIR JSON",
                error_codes.NOT_ACCEPTABLE,
            )
        return "application/json" if media == "application/json" else FHIR_JSON
    accept = _media_types(request.headers.get("accept", ""))
    if not accept or FHIR_JSON in accept or "application/json+fhir" in accept:
        return FHIR_JSON
    if "application/json" in accept:
        return "application/json"
    if any(media in _ANY for media in accept):
        return FHIR_JSON
    raise NotAcceptable(
        f"Accept: {request.headers['accept']} cannot be served; use {FHIR_JSON}",
        error_codes.NOT_ACCEPTABLE,
    )


def require_content_type(request: Request, allowed: frozenset[str] = JSON_TYPES) -> str:
    """The body's media type, or ``UnsupportedMediaType`` (415)."""
    header = request.headers.get("content-type")
    if header is None:
        raise UnsupportedMediaType(
            f"Content-Type is required; send {FHIR_JSON}", error_codes.UNSUPPORTED_CONTENT_TYPE
        )
    media = _media_types(header)[0] if _media_types(header) else ""
    if media not in allowed:
        raise UnsupportedMediaType(
            f"Content-Type {header} is not supported here; send {' or '.join(sorted(allowed))}",
            error_codes.UNSUPPORTED_CONTENT_TYPE,
        )
    return media


def is_pretty(request: Request) -> bool:
    """True when ``_pretty=true`` was asked for."""
    return request.query_params.get("_pretty", "false").lower() == "true"


@dataclass(frozen=True)
class Preferences:
    """The parts of the ``Prefer`` header we act on."""

    return_: str
    strict: bool


def preferences(request: Request) -> Preferences:
    """Parse ``Prefer``; unknown tokens are ignored, as RFC 7240 says."""
    return_, strict = "representation", False
    for token in request.headers.get("prefer", "").split(","):
        name, _, value = token.strip().partition("=")
        value = value.strip().strip('"')
        if name.strip() == "return":
            if value not in RETURN_PREFERENCES:
                raise Invalid(f"Prefer: return={value} is not understood", error_codes.BAD_PREFER)
            return_ = value
        elif name.strip() == "handling":
            strict = value == "strict"
    return Preferences(return_, strict)
