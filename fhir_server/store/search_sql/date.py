"""Date parameters: prefixes as comparisons of half-open ranges.

https://hl7.org/fhir/R4/search.html#prefix. With the search value's range ``[sl, sh)`` and a
stored value's range ``[rl, rh)``:

- ``eq``: the stored range lies within the search range (``rl >= sl and rh <= sh``); ``ne``:
  it does not;
- ``gt``: the range above the search value overlaps the stored one (``rh > sh``); ``lt``:
  the range below does (``rl < sl``); ``ge`` = ``gt`` or ``eq``; ``le`` = ``lt`` or ``eq``;
- ``sa``: the stored range starts after the search range (``rl >= sh``); ``eb``: it ends
  before it (``rh <= sl``);
- ``ap``: the ranges overlap once the search range is widened on each side by 10% of the time
  between now and the search value (the spec leaves the amount to the server; this is the
  amount it suggests for dates).

Redundant bounds (``rl < sh`` for ``eq``) are added where they turn a filter into an index
range on ``(resource_type, param, low, high)``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, FromClause, and_, not_, or_
from sqlalchemy.sql.operators import ge, gt, le, lt

from fhir_server.store.search_sql.common import Scope, compare
from resources.search.query import DateMatch, Prefix
from resources.search.values import DATE_MAX, DATE_MIN


def approximate(low: datetime, high: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The search range widened by 10% of its distance from now (at least its own length)."""
    margin = abs(now - low) / 10
    widened_low = low - margin if low - DATE_MIN > margin else DATE_MIN
    widened_high = high + margin if DATE_MAX - high > margin else DATE_MAX
    return widened_low, widened_high


def range_predicate(
    low: ColumnElement[datetime],
    high: ColumnElement[datetime],
    prefix: Prefix,
    search: tuple[datetime, datetime],
    now: datetime,
) -> ColumnElement[bool]:
    """Stored range ``[low, high)`` against the search range, per the prefix."""
    sl, sh = search

    def within() -> ColumnElement[bool]:
        return and_(compare(low, ge, sl), compare(low, lt, sh), compare(high, le, sh))

    match prefix:
        case "eq":
            return within()
        case "ne":
            return not_(within())
        case "gt":
            return compare(high, gt, sh)
        case "lt":
            return compare(low, lt, sl)
        case "ge":  # high > sl holds either way; it gives the index a range
            return and_(compare(high, gt, sl), or_(compare(high, gt, sh), within()))
        case "le":
            return and_(compare(low, lt, sh), or_(compare(low, lt, sl), within()))
        case "sa":
            return compare(low, ge, sh)
        case "eb":
            return compare(high, le, sl)
        case "ap":
            wl, wh = approximate(sl, sh, now)
            return and_(compare(low, lt, wh), compare(high, gt, wl))


def point_predicate(
    instant: ColumnElement[datetime],
    prefix: Prefix,
    search: tuple[datetime, datetime],
    now: datetime,
) -> ColumnElement[bool]:
    """A stored instant (a range of one point, ``_lastUpdated``) against the search range."""
    sl, sh = search
    match prefix:
        case "eq":
            return and_(compare(instant, ge, sl), compare(instant, lt, sh))
        case "ne":
            return or_(compare(instant, lt, sl), compare(instant, ge, sh))
        case "gt" | "sa":
            return compare(instant, ge, sh)
        case "lt" | "eb":
            return compare(instant, lt, sl)
        case "ge":
            return compare(instant, ge, sl)
        case "le":
            return compare(instant, lt, sh)
        case "ap":
            wl, wh = approximate(sl, sh, now)
            return and_(compare(instant, ge, wl), compare(instant, lt, wh))


def predicate(match: DateMatch, table: FromClause, scope: Scope) -> ColumnElement[bool]:
    """The date row matches."""
    return range_predicate(
        table.c.low, table.c.high, match.prefix, (match.low, match.high), scope.now
    )
