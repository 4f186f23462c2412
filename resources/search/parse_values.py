"""Search value syntax: escapes, prefixes, and the ranges of dates, numbers and quantities.

Escapes (https://hl7.org/fhir/R4/search.html#escaping): ``\\,`` ``\\|`` ``\\$`` and ``\\\\``
stand for the character itself; a value is first split on the unescaped separators, then each
part is unescaped. Ranges match the index side: dates through ``dates.parse_date`` (no time zone
means UTC), numbers through ``numbers.precision_range`` (``100`` -> [99.5, 100.5)).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from resources.search.dates import parse_date
from resources.search.numbers import precision_range
from resources.search.parse_errors import malformed
from resources.search.query import Prefix

PREFIXES: dict[str, Prefix] = {
    "eq": "eq",
    "ne": "ne",
    "gt": "gt",
    "lt": "lt",
    "ge": "ge",
    "le": "le",
    "sa": "sa",
    "eb": "eb",
    "ap": "ap",
}
_UNESCAPE = re.compile(r"\\([,|$\\])")
_NUMBER = re.compile(r"^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$")
"""FHIR's decimal grammar (https://hl7.org/fhir/R4/datatypes.html#decimal)."""
_SPACED_ZONE = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:\d{2})$")


def split_unescaped(text: str, separator: str) -> list[str]:
    """Split on ``separator`` where it is not escaped; the parts keep their escapes."""
    parts: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def unescape(text: str) -> str:
    """Drop the backslash of ``\\,`` ``\\|`` ``\\$`` and ``\\\\``."""
    return _UNESCAPE.sub(r"\1", text)


def split_prefix(name: str, text: str) -> tuple[Prefix, str]:
    """``gt100`` -> (``gt``, ``100``); no prefix means ``eq``; other leading letters are bad."""
    prefix = PREFIXES.get(text[:2])
    if prefix is not None:
        return prefix, text[2:]
    if text[:1].isalpha():
        raise malformed(
            name, f"'{text}' does not start with a known prefix ({', '.join(PREFIXES)})"
        )
    return "eq", text


def date_range(name: str, text: str) -> tuple[datetime, datetime]:
    """The UTC range ``[low, high)`` a search date covers at its precision.

    A ``+`` in a time zone that arrived as a space (an unencoded query string) is restored.
    """
    value = parse_date(_SPACED_ZONE.sub(r"\1+\2", text))
    if value is None:
        raise malformed(name, f"'{text}' is not a valid date, dateTime or instant")
    return value.low, value.high


def number_range(name: str, text: str) -> tuple[Decimal, Decimal, Decimal]:
    """(value, low, high): the number and the range its precision implies."""
    if not _NUMBER.match(text):
        raise malformed(name, f"'{text}' is not a number")
    try:
        number = Decimal(text)
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only numbers
        raise malformed(name, f"'{text}' is not a number") from error
    low, high = precision_range(number)
    return number, low, high
