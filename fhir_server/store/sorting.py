"""``_sort`` keys as SQL, and the keyset condition that starts a page after a cursor.

A parameter key is the resource's smallest value for an ascending sort and its largest for a
descending one (a date: the smallest ``low`` / the largest ``high``), computed per row by a
correlated subquery on the parameter's index table. Resources without a value sort last either
way. Every order ends with the resource type and id, so it is total and a page boundary is
exact: rows strictly after the cursor's (keys, type, id) in that order. A backward cursor (the
``previous`` page) reads the reverse order (``order_by(reverse=True)``) from strictly before
its row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Table,
    and_,
    collate,
    false,
    func,
    or_,
    select,
    tuple_,
)

from fhir_server.db.schema import (
    search_date,
    search_number,
    search_quantity,
    search_reference,
    search_string,
    search_token,
    search_uri,
)
from fhir_server.store.cursor import Cursor, KeyKind
from fhir_server.store.search_sql.blind import refuse_sort
from fhir_server.store.search_sql.common import Scope, owned_by, param_is
from resources import error_codes
from resources.errors import Invalid
from resources.search.query import SortKey

ColumnOf = Callable[[FromClause, bool], ColumnElement[Any]]


def _number(table: FromClause, descending: bool) -> ColumnElement[Any]:
    return func.coalesce(table.c.value, table.c.high if descending else table.c.low)


def _reference(table: FromClause, descending: bool) -> ColumnElement[Any]:
    del descending
    # byte order, as the url column and every other text sort key (the target columns have
    # the resource table's collation, for the joins)
    local = collate(table.c.target_type + "/" + table.c.target_id, "C")
    return func.coalesce(local, table.c.url)


_COLUMNS: dict[str, tuple[Table, ColumnOf, KeyKind]] = {
    "string": (search_string, lambda t, _: t.c.normalised, "text"),
    "token": (search_token, lambda t, _: t.c.code, "text"),
    "date": (search_date, lambda t, d: t.c.high if d else t.c.low, "instant"),
    "number": (search_number, _number, "number"),
    "quantity": (search_quantity, _number, "number"),
    "reference": (search_reference, _reference, "text"),
    "uri": (search_uri, lambda t, _: t.c.uri, "text"),
}


@dataclass(frozen=True)
class SortColumn:
    """One sort key: its value per row, its direction, and its kind (for the cursor)."""

    expression: ColumnElement[Any]
    descending: bool
    kind: KeyKind


def sort_column(key: SortKey, scope: Scope) -> SortColumn:
    """The SQL of one ``_sort`` key on the scope's resource row."""
    if key.special == "_id":
        return SortColumn(scope.resource.c.id, key.descending, "text")
    if key.special == "_lastUpdated":
        return SortColumn(scope.resource.c.last_updated, key.descending, "instant")
    param = key.param
    if param is None or param.type not in _COLUMNS:
        name = param.code if param else "?"
        raise Invalid(f"_sort: {name} cannot be sorted on", error_codes.BAD_PARAMETER)
    refuse_sort(param, scope)
    table, column_of, kind = _COLUMNS[param.type]
    alias = scope.alias(table)
    pick = func.max if key.descending else func.min
    value = (
        select(pick(column_of(alias, key.descending)))
        .where(*owned_by(alias, scope), param_is(alias, param.code))
        .scalar_subquery()
    )
    return SortColumn(value, key.descending, kind)


def signature(keys: Sequence[SortKey]) -> str:
    """The sort as text (``-date,_id``), bound into cursors."""
    names = (key.special or (key.param.code if key.param else "?") for key in keys)
    return ",".join(
        ("-" if key.descending else "") + name for key, name in zip(keys, names, strict=True)
    )


def order_by(
    columns: Sequence[ColumnElement[Any]],
    sorts: Sequence[SortColumn],
    tiebreak: Sequence[ColumnElement[Any]],
    *,
    reverse: bool = False,
) -> list[ColumnElement[Any]]:
    """ORDER BY the keys (nulls last either way), then the tie-breaking type and id; with
    ``reverse``, exactly the opposite order."""
    if reverse:
        backwards = [
            (c.asc() if s.descending else c.desc()).nulls_first()
            for c, s in zip(columns, sorts, strict=True)
        ]
        return [*backwards, *(c.desc() for c in tiebreak)]
    ordered = [
        (c.desc() if s.descending else c.asc()).nulls_last()
        for c, s in zip(columns, sorts, strict=True)
    ]
    return [*ordered, *(c.asc() for c in tiebreak)]


def _after(column: ColumnElement[Any], value: Any, descending: bool) -> ColumnElement[bool]:
    if value is None:  # nothing sorts after a missing value but other missing values
        return false()
    return or_(column < value if descending else column > value, column.is_(None))


def _before(column: ColumnElement[Any], value: Any, descending: bool) -> ColumnElement[bool]:
    if value is None:  # every value sorts before a missing one
        return column.is_not(None)
    before: ColumnElement[bool] = column > value if descending else column < value
    return before


def _same(column: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def after_cursor(
    columns: Sequence[ColumnElement[Any]],
    sorts: Sequence[SortColumn],
    tiebreak: Sequence[ColumnElement[Any]],
    cursor: Cursor,
) -> ColumnElement[bool]:
    """Rows strictly after the cursor in the order of ``order_by`` (strictly before it, for a
    backward cursor)."""
    beyond = _before if cursor.backward else _after
    branches: list[ColumnElement[bool]] = []
    same: list[ColumnElement[bool]] = []
    for column, sort, value in zip(columns, sorts, cursor.keys, strict=True):
        branches.append(and_(*same, beyond(column, value, sort.descending)))
        same.append(_same(column, value))
    last = tuple_(*(cursor.resource_type, cursor.id)[-len(tiebreak) :])
    keys = tuple_(*tiebreak)
    branches.append(and_(*same, keys < last if cursor.backward else keys > last))
    return or_(*branches)
