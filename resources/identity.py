"""Resource ids, versions and instants as FHIR defines them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from resources import error_codes
from resources.errors import Invalid

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_WEAK_ETAG = re.compile(r'^(?:W/)?"(\d+)"$')


def new_id() -> str:
    """A server-assigned logical id (a random UUID)."""
    return str(uuid.uuid4())


def check_id(value: str) -> str:
    """Return ``value`` when it is a valid FHIR id, else raise ``Invalid``."""
    if not _ID.fullmatch(value):
        raise Invalid(f"{value!r} is not a valid FHIR id", error_codes.INVALID_ID)
    return value


def now() -> datetime:
    """The current instant, timezone-aware, at microsecond precision."""
    return datetime.now(UTC)


def instant(value: datetime) -> str:
    """Format a FHIR instant (UTC, millisecond precision kept as microseconds)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def etag(version: int) -> str:
    """The weak ETag of a version."""
    return f'W/"{version}"'


def parse_etag(value: str) -> int:
    """The version number in an ETag header value (weak or strong)."""
    match = _WEAK_ETAG.match(value.strip())
    if not match:
        raise Invalid(f'{value!r} is not a version ETag such as W/"3"', error_codes.BAD_ETAG)
    return int(match.group(1))
