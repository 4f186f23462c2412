"""THE SEAM: the one step from extracted index values to the rows the storage adapter writes.

Everything that decides how a value is stored (which table, which columns, normalised forms)
happens in ``index_rows``. Values of PHI parameters (``resources.crypto.phi_params``) become
keyed digests here, and nowhere else, when the process has its keys (``blinded_rows``).
Full-text words (``_text``, ``_content``) become one ``TextRow`` per resource and parameter,
the set of their 64-bit keyed digests (``text_digests``), for every resource type: plain
words are never stored.
Rows carry the parameter code; the adapter adds resource type, id and version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from resources.crypto.blind import BlindIndex, calendar_forms
from resources.crypto.envelope import KEY_BYTES
from resources.crypto.phi_params import COVERED_BY, NOT_STORED, digest_domain, is_phi
from resources.crypto.protection import blind_index
from resources.search.strings import normalise
from resources.search.values import (
    CompositeValue,
    DateValue,
    IndexValue,
    NumberValue,
    QuantityValue,
    ReferenceValue,
    SimpleValue,
    StringValue,
    TokenValue,
    UriValue,
    WordsValue,
)

PLAIN_WORDS = BlindIndex(bytes(KEY_BYTES))
"""Without PHI protection (``NUTRIVISION_PHI_PROTECTION=false``) words are digested under this
public all-zero key: plain hashes, but the same code path and table as with protection."""


@dataclass(frozen=True, slots=True)
class StringRow:
    """A row of the string table (``normalised`` for the default search and ``:contains``)."""

    param: str
    normalised: str
    exact: str


@dataclass(frozen=True, slots=True)
class TokenRow:
    """A row of the token table; ``text`` is the normalised display text for ``:text``;
    ``prefixes`` only on a blinded string value (``blinded_rows``)."""

    param: str
    system: str | None
    code: str | None
    text: str | None
    type_system: str | None
    type_code: str | None
    prefixes: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class DateRow:
    """A row of the date table: ``[low, high)`` in UTC."""

    param: str
    low: datetime
    high: datetime


@dataclass(frozen=True, slots=True)
class NumberRow:
    """A row of the number table (None bounds are open)."""

    param: str
    low: Decimal | None
    high: Decimal | None
    value: Decimal | None


@dataclass(frozen=True, slots=True)
class QuantityRow:
    """A row of the quantity table (UCUM canonicalisation is left to the adapter)."""

    param: str
    low: Decimal | None
    high: Decimal | None
    value: Decimal | None
    system: str | None
    code: str | None
    unit: str | None


@dataclass(frozen=True, slots=True)
class ReferenceRow:
    """A row of the reference table."""

    param: str
    target_type: str | None
    target_id: str | None
    version: str | None
    url: str | None
    identifier_system: str | None
    identifier_value: str | None


@dataclass(frozen=True, slots=True)
class UriRow:
    """A row of the uri table."""

    param: str
    uri: str


@dataclass(frozen=True, slots=True)
class TextRow:
    """The full-text row of one resource and parameter: its distinct word digests."""

    param: str
    words: tuple[int, ...]


SimpleRow = StringRow | TokenRow | DateRow | NumberRow | QuantityRow | ReferenceRow | UriRow


@dataclass(frozen=True, slots=True)
class CompositeRow:
    """A row of the composite table: one row per component, each as its own table's row."""

    param: str
    parts: tuple[SimpleRow, ...]


@dataclass(frozen=True)
class IndexRows:
    """Every index row of one resource version, grouped per table."""

    string: list[StringRow] = field(default_factory=list)
    token: list[TokenRow] = field(default_factory=list)
    date: list[DateRow] = field(default_factory=list)
    number: list[NumberRow] = field(default_factory=list)
    quantity: list[QuantityRow] = field(default_factory=list)
    reference: list[ReferenceRow] = field(default_factory=list)
    uri: list[UriRow] = field(default_factory=list)
    composite: list[CompositeRow] = field(default_factory=list)
    text: list[TextRow] = field(default_factory=list)

    def __len__(self) -> int:
        tables: tuple[Sized, ...] = (
            self.string, self.token, self.date, self.number,
            self.quantity, self.reference, self.uri, self.composite, self.text,
        )  # fmt: skip
        return sum(len(table) for table in tables)


def index_rows(resource_type: str, values: Mapping[str, Sequence[IndexValue]]) -> IndexRows:
    """The rows to store for these values (``extract_all``'s output) of a ``resource_type``."""
    blind = blind_index()
    rows = IndexRows()
    for param, items in values.items():
        if blind is not None and is_phi(resource_type, param):
            for row in _blinded(blind, param, items, values):
                _append(rows, row)
            continue
        for value in items:
            if isinstance(value, WordsValue):
                rows.text.append(TextRow(param, tuple(text_digests(param, value.words))))
            elif isinstance(value, CompositeValue):
                parts = tuple(simple_row(param, part) for part in value.components)
                rows.composite.append(CompositeRow(param, parts))
            else:  # dispatch by exact type: every write runs this for every value
                row = _ROW_MAKERS[type(value)](param, value)
                getattr(rows, ROW_KIND[type(row)]).append(row)
    return rows


def text_digests(param: str, words: Sequence[str]) -> list[int]:
    """The stored form of full-text ``words`` of ``param``: their distinct 64-bit digests under
    the index key (``PLAIN_WORDS`` without PHI protection); searches digest alike."""
    return (blind_index() or PLAIN_WORDS).word_digests(param, words)


def simple_row(param: str, value: SimpleValue) -> SimpleRow:
    """The row of one non-composite value."""
    return _ROW_MAKERS[type(value)](param, value)


def _string_row(param: str, v: StringValue) -> StringRow:
    return StringRow(param, v.normalised, v.exact)


def _token_row(param: str, v: TokenValue) -> TokenRow:
    text = normalise(v.display_text) if v.display_text else None
    return TokenRow(param, v.system, v.code, text, v.type_system, v.type_code)


def _date_row(param: str, v: DateValue) -> DateRow:
    return DateRow(param, v.low, v.high)


def _number_row(param: str, v: NumberValue) -> NumberRow:
    return NumberRow(param, v.low, v.high, v.value)


def _quantity_row(param: str, v: QuantityValue) -> QuantityRow:
    return QuantityRow(param, v.low, v.high, v.value, v.system, v.code, v.unit)


def _reference_row(param: str, v: ReferenceValue) -> ReferenceRow:
    return ReferenceRow(
        param, v.target_type, v.target_id, v.version, v.url, v.identifier_system,
        v.identifier_value,
    )  # fmt: skip


def _uri_row(param: str, v: UriValue) -> UriRow:
    return UriRow(param, v.uri)


_ROW_MAKERS: dict[type, Callable[[str, Any], SimpleRow]] = {
    StringValue: _string_row,
    TokenValue: _token_row,
    DateValue: _date_row,
    NumberValue: _number_row,
    QuantityValue: _quantity_row,
    ReferenceValue: _reference_row,
    UriValue: _uri_row,
}
"""The row of each simple value type (a lookup by exact type is several times cheaper than
class patterns in a ``match``)."""
ROW_KIND: dict[type[SimpleRow], str] = {
    StringRow: "string",
    TokenRow: "token",
    DateRow: "date",
    NumberRow: "number",
    QuantityRow: "quantity",
    ReferenceRow: "reference",
    UriRow: "uri",
}
"""The ``IndexRows`` list of each row type (also the name of its index table)."""


def _blinded(
    blind: BlindIndex,
    param: str,
    items: Sequence[IndexValue],
    values: Mapping[str, Sequence[IndexValue]],
) -> list[SimpleRow]:
    """The blind rows of one PHI parameter, less what its parts store (``COVERED_BY``)."""
    if param in NOT_STORED:
        return []
    covered = [v for part in COVERED_BY.get(param, ()) for v in values.get(part, ())]
    rows: list[SimpleRow] = []
    for value in items:
        if value in covered:
            covered.remove(value)  # stored once under the part; the search reads both
        elif not isinstance(value, CompositeValue | WordsValue):
            rows += blinded_rows(blind, param, value)
    return rows


def blinded_rows(blind: BlindIndex, param: str, value: SimpleValue) -> list[SimpleRow]:
    """The rows of one PHI value: digests only, never the value, all in the token table.

    A string gives one row: the 64-bit keys of every prefix of its normalised form in
    ``prefixes`` (the default starts-with search, an array under a GIN index) and the digest
    of the text as written in ``text`` (for ``:exact``; string parameters have no ``:text``
    modifier to confuse it with). A token keeps its system and type text (not PHI) and
    digests its code. A date gives the digests of the calendar year, month and day it lies
    in. No string table row: its trigram index would only grow with digests nobody can search.
    """
    match value:
        case StringValue(normalised, exact):
            domain = digest_domain(param)
            prefixes = tuple(blind.prefix_keys(domain, normalised))
            return [TokenRow(param, None, None, blind.exact(domain, exact), None, None, prefixes)]
        case TokenValue(system, code, display, type_system, type_code):
            text = normalise(display) if display else None
            digest = blind.token(param, code) if code is not None else None
            return [TokenRow(param, system, digest, text, type_system, type_code)]
        case DateValue(low, high):
            dates: list[str | None] = [blind.date(param, f) for f in calendar_forms(low, high)]
            # A range wider than a day still gets a row, so :missing sees the value.
            return [TokenRow(param, None, d, None, None, None) for d in dates or [None]]
        case _:
            return [simple_row(param, value)]


def _append(rows: IndexRows, row: SimpleRow) -> None:
    match row:
        case StringRow():
            rows.string.append(row)
        case TokenRow():
            rows.token.append(row)
        case DateRow():
            rows.date.append(row)
        case NumberRow():
            rows.number.append(row)
        case QuantityRow():
            rows.quantity.append(row)
        case ReferenceRow():
            rows.reference.append(row)
        case UriRow():
            rows.uri.append(row)
