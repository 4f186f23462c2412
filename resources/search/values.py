"""Typed index values, one small frozen dataclass per search-parameter type.

Ranges are half-open, ``[low, high)``: a value ``v`` lies in them when ``low <= v < high``.
``None`` as a numeric bound means unbounded; dates use ``DATE_MIN``/``DATE_MAX`` instead, so a
date range is always two timezone-aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

DATE_MIN = datetime.min.replace(tzinfo=UTC)
DATE_MAX = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class StringValue:
    """A string part: ``normalised`` (lowercase, accents stripped) for the default search,
    ``exact`` (as written) for ``:exact``."""

    normalised: str
    exact: str


@dataclass(frozen=True, slots=True)
class TokenValue:
    """A code, coding, identifier, contact point or boolean (``code`` as its text).

    ``display_text`` is what ``:text`` searches (Coding.display, CodeableConcept.text,
    Identifier.type.text); ``type_system``/``type_code`` are an Identifier.type coding,
    for ``:of-type``.
    """

    system: str | None
    code: str | None
    display_text: str | None = None
    type_system: str | None = None
    type_code: str | None = None


@dataclass(frozen=True, slots=True)
class DateValue:
    """The instants a date, dateTime, instant, Period or Timing covers, in UTC."""

    low: datetime
    high: datetime


@dataclass(frozen=True, slots=True)
class NumberValue:
    """A number as the range its precision implies (``100`` -> [99.5, 100.5)).

    ``value`` is the number itself (None for a Range, whose ends give low and high).
    """

    low: Decimal | None
    high: Decimal | None
    value: Decimal | None


@dataclass(frozen=True, slots=True)
class QuantityValue:
    """A Quantity (or Age, Duration, Money, Range...) with its precision range and units."""

    low: Decimal | None
    high: Decimal | None
    value: Decimal | None
    system: str | None
    code: str | None
    unit: str | None


@dataclass(frozen=True, slots=True)
class ReferenceValue:
    """A Reference or canonical.

    Relative ``Type/id`` fills target_type/target_id (and version for ``_history``); an absolute
    URL is kept in ``url`` and, when it ends in ``Type/id``, parsed into those too; a contained
    ``#id`` is kept in ``url`` with the contained resource's type; a canonical ``url|version`` is
    split into ``url`` and ``version``; ``Reference.identifier`` fills the identifier fields.
    """

    target_type: str | None
    target_id: str | None
    version: str | None = None
    url: str | None = None
    identifier_system: str | None = None
    identifier_value: str | None = None


@dataclass(frozen=True, slots=True)
class UriValue:
    """A uri, url or canonical, as written."""

    uri: str


SimpleValue = (
    StringValue | TokenValue | DateValue | NumberValue | QuantityValue | ReferenceValue | UriValue
)


@dataclass(frozen=True, slots=True)
class CompositeValue:
    """One combination of component values, in the order of the parameter's components."""

    components: tuple[SimpleValue, ...]


@dataclass(frozen=True, slots=True)
class WordsValue:
    """The distinct normalised words of ``_text`` or ``_content`` (``search.fulltext``)."""

    words: tuple[str, ...]


IndexValue = SimpleValue | CompositeValue | WordsValue
