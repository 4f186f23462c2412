"""Parse, validate and convert UCUM unit expressions (``ucumvert`` on ``pint``).

Factors are Decimals rounded to 12 significant digits, so the float noise of the underlying
library (``mg/dL`` -> ``0.009999999999999998 kg/m3``) does not leak into search ranges.
Units with an offset (``Cel``, ``[degF]``) convert values but have no factor.
"""

from __future__ import annotations

import functools
import threading
from decimal import Decimal, localcontext
from typing import Any

from resources import error_codes
from resources.errors import Invalid, Unprocessable

_LOCK = threading.Lock()
_DIGITS = 12

SEARCH_UNITS: tuple[str, ...] = (
    # mass
    "kg", "g", "mg", "ug", "ng", "pg", "[lb_av]", "[oz_av]",
    # energy
    "kcal", "kJ", "J", "cal", "MJ",
    # volume
    "L", "dL", "mL", "uL", "[foz_us]", "[cup_us]", "[tbs_us]", "[tsp_us]",
    # length
    "m", "cm", "mm", "km", "[in_i]", "[ft_i]",
    # mass concentration
    "g/L", "g/dL", "mg/dL", "mg/L", "mg/mL", "ug/mL", "ug/dL", "ug/L", "ng/mL", "ng/dL", "pg/mL",
    # substance concentration
    "mol/L", "mmol/L", "umol/L", "nmol/L", "pmol/L",
    # amount of substance
    "mol", "mmol", "umol",
    # time
    "s", "min", "h", "d", "wk",
    # pressure
    "mm[Hg]", "kPa", "Pa",
)  # fmt: skip
"""Units a quantity search in one of them also looks for, converted (same dimension only)."""


class UnitError(Exception):
    """A unit that is not UCUM, or two that cannot be converted into each other."""


@functools.cache
def _registry() -> Any:
    from ucumvert import PintUcumRegistry  # type: ignore[import-untyped]  # 1.5 s: lazily

    return PintUcumRegistry()


def _quantity(unit: str) -> Any:
    from ucumvert import InvalidUcumError

    if not unit or unit != unit.strip() or len(unit) > 100:
        raise UnitError(f"'{unit}' is not a UCUM unit")
    try:
        with _LOCK:  # the parser and pint's caches are not thread-safe
            return _registry().from_ucum(unit)
    except InvalidUcumError as error:
        first_line = str(error).splitlines()[0] if str(error) else ""
        raise UnitError(first_line or f"'{unit}' is not a UCUM unit") from None
    except Exception as error:  # pint raises several types for units it cannot define
        raise UnitError(f"'{unit}' is not a UCUM unit: {error}") from None


@functools.lru_cache(maxsize=4096)
def unit_problem(unit: str) -> str | None:
    """None for a valid UCUM expression, else why it is not one."""
    try:
        _quantity(unit)
    except UnitError as error:
        return str(error)
    return None


def is_valid(unit: str) -> bool:
    """``unit`` is a valid UCUM expression."""
    return unit_problem(unit) is None


def _round(value: float | Decimal) -> Decimal:
    """``value`` to 12 significant digits, without trailing zeros or an exponent."""
    with localcontext() as context:
        context.prec = _DIGITS
        rounded = (+Decimal(repr(value) if isinstance(value, float) else value)).normalize()
    exponent = rounded.as_tuple().exponent
    return rounded.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else rounded


def _measurable(quantity: Any) -> bool:
    """False for a unit that is only an annotation (``{scoops}``): the parser gives no
    quantity, and two annotations cannot be compared."""
    return hasattr(quantity, "dimensionality")


@functools.lru_cache(maxsize=4096)
def factor(source: str, target: str) -> Decimal | None:
    """The multiplier from ``source`` to ``target`` units; None when they are not of one
    dimension or have an offset (temperatures). ``UnitError`` for a non-UCUM unit."""
    from_q, to_q = _quantity(source), _quantity(target)
    if not _measurable(from_q) or not _measurable(to_q):
        return Decimal(1) if source == target else None
    with _LOCK:
        if from_q.dimensionality != to_q.dimensionality:
            return None
        if not from_q._ok_for_muldiv() or not to_q._ok_for_muldiv():
            return None
        magnitude = (from_q / to_q).to_reduced_units().to("dimensionless").magnitude
    return _round(float(magnitude))


def convert(value: Decimal, source: str, target: str) -> Decimal:
    """``value`` in ``source`` units expressed in ``target`` units (offsets included).

    ``Invalid`` for a unit that is not UCUM, ``Unprocessable`` for units of two dimensions.
    """
    try:
        multiplier = factor(source, target)
        if multiplier is not None:
            return _round(value * multiplier)
        from_q, to_q = _quantity(source), _quantity(target)
        with _LOCK:
            if not (_measurable(from_q) and _measurable(to_q)) or (
                from_q.dimensionality != to_q.dimensionality
            ):
                raise Unprocessable(
                    f"'{source}' cannot be converted to '{target}' (different dimensions)",
                    error_codes.UCUM_NOT_CONVERTIBLE,
                )
            amount = _registry().Quantity(float(value), from_q.units).to(to_q.units)
            result = amount.magnitude * from_q.magnitude / to_q.magnitude
    except UnitError as error:
        raise Invalid(str(error), error_codes.UCUM_INVALID_UNIT) from None
    return _round(float(result))


@functools.lru_cache(maxsize=1024)
def commensurable_units(unit: str) -> tuple[tuple[str, Decimal], ...]:
    """``(other unit, factor from unit to it)`` for the search units of ``unit``'s dimension,
    ``unit`` itself first; empty when ``unit`` is not UCUM."""
    if not is_valid(unit):
        return ()
    if "{" in unit:  # an annotation carries meaning a conversion would lose
        return ((unit, Decimal(1)),)
    found: list[tuple[str, Decimal]] = [(unit, Decimal(1))]
    for other in SEARCH_UNITS:
        if other == unit:
            continue
        multiplier = factor(unit, other)
        if multiplier is not None:
            found.append((other, multiplier))
    return tuple(found)
