"""Paging and common search controls: ``_count``, ``_cursor``, ``_since``."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request

from resources import error_codes
from resources.errors import Invalid

MAX_TXID = 2**63 - 1
"""History cursors are ``bigint`` transaction ids; a larger one was never issued."""


def ascii_int(raw: str, maximum: int) -> int | None:
    """``raw`` as a non-negative integer no larger than ``maximum``, else None.

    ``str.isdigit`` alone is not enough: it accepts digits such as ``"²"`` that ``int``
    refuses, and an unbounded number overflows the database column it is compared with.
    """
    if not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if value <= maximum else None


def page_size(request: Request) -> int:
    """``_count`` bounded by the configured maximum; the default page size when absent."""
    settings = request.app.state.settings
    raw = request.query_params.get("_count")
    if raw is None:
        return int(settings.default_page_size)
    if not (raw.isascii() and raw.isdigit()):
        raise Invalid(f"_count={raw} is not a non-negative integer", error_codes.BAD_PARAMETER)
    return min(int(raw), int(settings.max_page_size))


def int_cursor(request: Request) -> int | None:
    """The opaque ``_cursor`` of a history page (a number)."""
    raw = request.query_params.get("_cursor")
    if raw is None:
        return None
    cursor = ascii_int(raw, MAX_TXID)
    if cursor is None:
        raise Invalid(
            f"_cursor={raw} is not a cursor this server issued", error_codes.BAD_PARAMETER
        )
    return cursor


def check_no_nul(params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The parameters, refused (400) if one holds NUL: PostgreSQL text cannot store it, so it
    can match nothing, and a driver would fail on it."""
    for name, value in params:
        if "\x00" in name or "\x00" in value:
            raise Invalid(f"Search parameter {name!r} contains NUL", error_codes.BAD_PARAMETER)
    return params


def search_cursor(params: list[tuple[str, str]]) -> str | None:
    """The opaque ``_cursor`` of a search page (read by the store, which checks it)."""
    for name, value in params:
        if name == "_cursor":
            return value
    return None


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
