"""FHIR responses: JSON bodies (stored bytes passed through), version headers."""

from __future__ import annotations

from email.utils import format_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fhir_server.http.negotiation import is_pretty, response_media_type
from resources import fhir_json
from resources.identity import etag
from resources.stored import StoredVersion


def base_url(request: Request) -> str:
    """The absolute URL of the FHIR base (``.../fhir``), configured or from the request."""
    configured: str | None = request.app.state.settings.base_url
    if configured:
        return configured.rstrip("/")
    return str(request.base_url).rstrip("/") + "/fhir"


def _encode(request: Request, body: bytes | dict[str, Any]) -> bytes:
    if is_pretty(request):
        value = fhir_json.loads(body) if isinstance(body, bytes) else body
        return fhir_json.dumps(value, pretty=True)
    return body if isinstance(body, bytes) else fhir_json.dumps(body)


def fhir_response(
    request: Request,
    body: bytes | dict[str, Any] | None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A response in the negotiated media type; ``bytes`` bodies are sent as they are."""
    media_type = response_media_type(request)
    content = b"" if body is None else _encode(request, body)
    return Response(content, status, headers, media_type=f"{media_type}; charset=utf-8")


def version_headers(
    request: Request, stored: StoredVersion, location: str | None = None
) -> dict[str, str]:
    """ETag and Last-Modified, plus Location or Content-Location naming the version."""
    headers = {
        "ETag": etag(stored.version),
        "Last-Modified": format_datetime(stored.last_updated, usegmt=True),
    }
    if location is not None:
        headers[location] = f"{base_url(request)}/{stored.reference}/_history/{stored.version}"
    return headers
