"""The opaque ``_cursor`` of a search page: the last row's sort key values, type and id.

A cursor is URL-safe base64 of JSON ``{"s": signature, "k": [values], "t": type, "i": id}``,
plus ``"b": 1`` for a cursor that reads backwards (the page before that row: ``previous``).
``s`` names the sort it was made for, so a cursor pasted onto another search is refused rather
than misread. Values keep their kind: text as is, instants and decimals as ISO / decimal text.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import orjson

from resources import error_codes
from resources.errors import Invalid

KeyKind = Literal["text", "instant", "number"]


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after the row with these keys, type and id (before it,
    when ``backward``)."""

    keys: tuple[Any, ...]
    resource_type: str
    id: str
    backward: bool = False


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode(cursor: Cursor, signature: str) -> str:
    """The cursor as URL-safe text."""
    data: dict[str, Any] = {
        "s": signature,
        "k": [_encode_value(value) for value in cursor.keys],
        "t": cursor.resource_type,
        "i": cursor.id,
    }
    if cursor.backward:
        data["b"] = 1
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def _refused(raw: str) -> Invalid:
    return Invalid(f"_cursor={raw} is not a cursor for this search", error_codes.BAD_PARAMETER)


def _decode_value(value: Any, kind: KeyKind) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(value)
    if kind == "instant":
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(value)
        return parsed
    if kind == "number":
        return Decimal(value)
    return value


def decode(raw: str, signature: str, kinds: tuple[KeyKind, ...]) -> Cursor:
    """Read a cursor made by ``encode`` for the same sort; ``Invalid`` (400) otherwise."""
    try:
        data = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        keys = data["k"]
        if data["s"] != signature or not isinstance(keys, list) or len(keys) != len(kinds):
            raise _refused(raw)
        values = tuple(_decode_value(v, kind) for v, kind in zip(keys, kinds, strict=True))
        type_, id_, backward = data["t"], data["i"], data.get("b", 0)
    except (ValueError, TypeError, KeyError, binascii.Error, InvalidOperation):
        raise _refused(raw) from None
    if not isinstance(type_, str) or not isinstance(id_, str) or backward not in (0, 1):
        raise _refused(raw)
    return Cursor(values, type_, id_, backward == 1)
