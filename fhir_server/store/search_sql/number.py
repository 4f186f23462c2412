"""Number parameters (and the numeric part of quantities): prefixes on precision ranges.

https://hl7.org/fhir/R4/search.html#number. A stored number is a point (``value``; a
comparator such as ``<5`` leaves ``low`` or ``high`` open, stretching it to that side); a stored
Range has no ``value`` and covers ``[low, high)`` (None = open). With the search value ``x``
and its precision range ``[sl, sh)``:

- ``eq``: the stored value lies within ``[sl, sh)`` (a Range: lies wholly within); ``ne``: not;
- ``gt``/``lt``/``ge``/``le``: some part of the stored value is above / below ``x`` (the
  search value's precision does not matter for these);
- ``sa``/``eb``: the stored value lies wholly above ``sh`` / below ``sl``;
- ``ap``: the stored value overlaps ``x`` plus or minus 10% (at least its precision range).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ColumnElement, FromClause, and_, or_, true
from sqlalchemy.sql.operators import ge, gt, le, lt

from fhir_server.store.search_sql.common import Scope, compare
from resources.search.query import NumberMatch, Prefix, QuantityMatch


def _bounded(table: FromClause) -> ColumnElement[bool]:
    return and_(table.c.low.is_not(None), table.c.high.is_not(None))


def _eq(table: FromClause, sl: Decimal, sh: Decimal) -> ColumnElement[bool]:
    c = table.c
    point = and_(compare(c.value, ge, sl), compare(c.value, lt, sh), _bounded(table))
    return or_(point, and_(c.value.is_(None), compare(c.low, ge, sl), compare(c.high, le, sh)))


def _above(table: FromClause, x: Decimal, inclusive: bool) -> ColumnElement[bool]:
    c = table.c
    point = compare(c.value, ge, x) if inclusive else compare(c.value, gt, x)
    return or_(point, and_(c.value.is_(None), compare(c.high, gt, x)), c.high.is_(None))


def _below(table: FromClause, x: Decimal, inclusive: bool) -> ColumnElement[bool]:
    c = table.c
    point = compare(c.value, le, x) if inclusive else compare(c.value, lt, x)
    range_ = compare(c.low, le, x) if inclusive else compare(c.low, lt, x)
    return or_(point, and_(c.value.is_(None), range_), c.low.is_(None))


def _overlaps(table: FromClause, lo: Decimal, hi: Decimal) -> ColumnElement[bool]:
    c = table.c
    point = and_(compare(c.value, ge, lo), compare(c.value, le, hi), _bounded(table))
    low_ok = or_(c.low.is_(None), compare(c.low, le, hi))
    high_ok = or_(c.high.is_(None), compare(c.high, ge, lo))
    return or_(point, and_(c.value.is_(None), low_ok, high_ok))


def approximate(value: Decimal, sl: Decimal, sh: Decimal) -> tuple[Decimal, Decimal]:
    """``value`` plus or minus 10%, at least its precision range."""
    margin = abs(value) / 10
    return min(sl, value - margin), max(sh, value + margin)


def numeric_predicate(
    table: FromClause, prefix: Prefix, value: Decimal, sl: Decimal, sh: Decimal
) -> ColumnElement[bool]:
    """The number row (of the number or quantity table) matches ``[prefix]value``."""
    c = table.c
    match prefix:
        case "eq":
            return _eq(table, sl, sh)
        case "ne":
            return _eq(table, sl, sh).is_not(true())
        case "gt":
            return _above(table, value, inclusive=False)
        case "ge":
            return _above(table, value, inclusive=True)
        case "lt":
            return _below(table, value, inclusive=False)
        case "le":
            return _below(table, value, inclusive=True)
        case "sa":
            return or_(
                and_(compare(c.value, ge, sh), c.low.is_not(None)),
                and_(c.value.is_(None), compare(c.low, ge, sh)),
            )
        case "eb":
            return or_(
                and_(compare(c.value, lt, sl), c.high.is_not(None)),
                and_(c.value.is_(None), compare(c.high, le, sl)),
            )
        case "ap":
            return _overlaps(table, *approximate(value, sl, sh))


def predicate(
    match: NumberMatch | QuantityMatch, table: FromClause, scope: Scope
) -> ColumnElement[bool]:
    """The number row matches."""
    del scope
    return numeric_predicate(table, match.prefix, match.value, match.low, match.high)
