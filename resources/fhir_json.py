"""FHIR JSON that keeps decimal precision.

FHIR requires a decimal's precision to survive a round trip (``18.00`` stays ``18.00``);
a float does not keep it. Numbers with a fraction or exponent are parsed as ``JsonDecimal``,
a float that remembers its source text and is written back verbatim.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


class JsonDecimal(float):
    """A JSON number as written: compares and computes as a float, serialises as its text."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> JsonDecimal:
        value = super().__new__(cls, text)
        value.text = text
        return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_float=JsonDecimal, parse_constant=_reject_constant)
"""Built once: ``json.loads`` with hooks builds a decoder per call, which took 60 % of a
small document's parse."""


def loads(data: bytes | str) -> Any:
    """Parse JSON, keeping each decimal's text; raises ``ValueError`` when malformed.

    As ``json.loads``: bytes in UTF-8, -16 or -32 (a BOM allowed), a str without a BOM."""
    if isinstance(data, str):
        if data.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM", data, 0)
        return _DECODER.decode(data)
    return _DECODER.decode(data.decode(json.detect_encoding(data), "surrogatepass"))


def _default(value: Any) -> Any:
    if isinstance(value, JsonDecimal):
        return orjson.Fragment(value.text)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any, *, pretty: bool = False) -> bytes:
    """Serialise JSON, writing decimals as they were read."""
    option = orjson.OPT_INDENT_2 if pretty else 0
    return orjson.dumps(value, default=_default, option=option)
