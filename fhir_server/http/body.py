"""Reading a request body as a FHIR resource: size limit, JSON, resourceType."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from resources import error_codes, fhir_json
from resources.errors import Invalid, PayloadTooLarge


async def read_bytes(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"Body of {declared} bytes is over the limit of {limit}", error_codes.BODY_TOO_LARGE
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"Body is over the limit of {limit} bytes", error_codes.BODY_TOO_LARGE
            )
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(data: bytes) -> Any:
    """Parse JSON, reporting where it is malformed."""
    if not data.strip():
        raise Invalid("The request body is empty", error_codes.BODY_REQUIRED)
    try:
        return fhir_json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise Invalid(f"Malformed JSON: {error}", error_codes.INVALID_JSON) from None


async def read_resource(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object with a ``resourceType``."""
    value = parse_json(await read_bytes(request, limit))
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        raise Invalid(
            "The body is not a FHIR resource: a JSON object with resourceType",
            error_codes.NOT_A_RESOURCE,
        )
    return value
