"""Number and quantity index values, each with the range its decimal precision implies.

A value's precision is that of its last written digit: ``100`` -> [99.5, 100.5),
``100.0`` -> [99.95, 100.05), ``1e2`` -> [50, 150). The precision is read from the parsed JSON
number: a plain float keeps only what ``repr`` shows (``100.00`` -> ``100.0``); a Decimal, or a
float carrying its source text (``resources.fhir_json.JsonDecimal``), keeps every digit.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from resources.search.fhirpath import Json, Node
from resources.search.values import NumberValue, QuantityValue

CURRENCY_SYSTEM = "urn:iso:std:iso:4217"
Bounds = tuple[Decimal | None, Decimal | None, Decimal | None]
"""(low, high, value)"""


def as_decimal(value: object) -> Decimal | None:
    """A JSON number (int, float, Decimal or numeric text) as a Decimal; None otherwise.

    A float that carries its source text in ``text`` (``resources.fhir_json.JsonDecimal``)
    is read from that text, so ``18.00`` keeps its two decimals.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    source = getattr(value, "text", None) if isinstance(value, float) else None
    try:
        if isinstance(source, str):
            number = Decimal(source)
        else:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def precision_range(number: Decimal) -> tuple[Decimal, Decimal]:
    """[low, high): the number plus or minus half a unit of its last digit."""
    half = _half_unit(int(number.as_tuple().exponent))
    return number - half, number + half


@functools.lru_cache(maxsize=256)
def _half_unit(exponent: int) -> Decimal:
    """Half a unit of the digit at ``exponent`` (a few distinct ones: cached)."""
    return Decimal(5).scaleb(exponent - 1)


def number_values(node: Node, _resource: Json) -> list[NumberValue]:
    """A decimal or integer, or a Range of them."""
    bounds = _bounds(node.value)
    return [NumberValue(*bounds)] if bounds else []


def quantity_values(node: Node, _resource: Json) -> list[QuantityValue]:
    """Quantity and its profiles (Age, Duration, Distance, Count, SimpleQuantity), Money, Range.

    A Quantity's comparator opens its range (``<5`` has no low end). SampledData gives nothing.
    """
    value = node.value
    if not isinstance(value, Mapping):
        bounds = _bounds(value)
        return [QuantityValue(*bounds, None, None, None)] if bounds else []
    if "low" in value or "high" in value:
        return _range_quantity(value)
    if "currency" in value:
        bounds = _bounds(value.get("value"))
        code = _string(value.get("currency"))
        return [QuantityValue(*bounds, CURRENCY_SYSTEM, code, None)] if bounds else []
    bounds = _compared(_bounds(value.get("value")), value.get("comparator"))
    if bounds is None:
        return []
    units = (_string(value.get(key)) for key in ("system", "code", "unit"))
    return [QuantityValue(*bounds, *units)]


def _bounds(value: object) -> Bounds | None:
    if isinstance(value, Mapping):
        return _range_bounds(value)
    number = as_decimal(value)
    if number is None:
        return None
    low, high = precision_range(number)
    return low, high, number


def _range_bounds(value: Mapping[str, Any]) -> Bounds | None:
    low_end, high_end = value.get("low"), value.get("high")
    low = _bounds(low_end.get("value")) if isinstance(low_end, Mapping) else None
    high = _bounds(high_end.get("value")) if isinstance(high_end, Mapping) else None
    if low is None and high is None:
        return None
    return (low[0] if low else None), (high[1] if high else None), None


def _range_quantity(value: Mapping[str, Any]) -> list[QuantityValue]:
    bounds = _range_bounds(value)
    if bounds is None:
        return []
    ends = [end for end in (value.get("low"), value.get("high")) if isinstance(end, Mapping)]
    unit_of = ends[0] if ends else {}
    units = (_string(unit_of.get(key)) for key in ("system", "code", "unit"))
    return [QuantityValue(*bounds, *units)]


def _compared(bounds: Bounds | None, comparator: object) -> Bounds | None:
    if bounds is None or comparator not in ("<", "<=", ">", ">="):
        return bounds
    low, high, number = bounds
    return (None, high, number) if comparator in ("<", "<=") else (low, None, number)


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
