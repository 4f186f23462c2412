"""Paging and common search controls: ``_count``, ``_cursor``, ``_since``."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request

from resources import error_codes
from resources.errors import Invalid


def page_size(request: Request) -> int:
    """``_count`` bounded by the configured maximum; the default page size when absent."""
    settings = request.app.state.settings
    raw = request.query_params.get("_count")
    if raw is None:
        return int(settings.default_page_size)
    if not raw.isdigit():
        raise Invalid(f"_count={raw} is not a non-negative integer", error_codes.BAD_PARAMETER)
    return min(int(raw), int(settings.max_page_size))


def int_cursor(request: Request) -> int | None:
    """The opaque ``_cursor`` of a history page (a number)."""
    raw = request.query_params.get("_cursor")
    if raw is None:
        return None
    if not raw.isdigit():
        raise Invalid(
            f"_cursor={raw} is not a cursor this server issued", error_codes.BAD_PARAMETER
        )
    return int(raw)


def since(request: Request) -> datetime | None:
    """``_since`` as an aware instant."""
    raw = request.query_params.get("_since")
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"_since={raw} is not a FHIR instant", error_codes.BAD_PARAMETER) from None
    if value.tzinfo is None:
        raise Invalid(f"_since={raw} needs a time zone", error_codes.BAD_PARAMETER)
    return value
