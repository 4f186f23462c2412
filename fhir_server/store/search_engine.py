"""A ``SearchQuery`` answered on PostgreSQL: matches, order, keyset pages, totals, includes.

The WHERE clause is ``search_sql.compile`` over the ``resource`` row (current, not deleted, of
the searched types). Pages are keyset pages: the next one starts strictly after the last row's
sort keys, type and id (see ``sorting``), so paging costs the same at any depth and, while the
data changes underneath, a page never repeats or skips a resource whose sort keys stay the
same: a resource created meanwhile appears on a later page if it sorts after the cursor (not
at all if before); one deleted meanwhile is not returned; one whose sort key changes is seen
where its new key places it, so it can appear twice or not at all (default order and ``_id``
keys never change).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, and_, func, select, tuple_
from sqlalchemy.sql.operators import eq, ge, le

from fhir_server.db.schema import resource, resource_version
from fhir_server.store import cursor as cursors
from fhir_server.store.explain import Explain
from fhir_server.store.has_sources import as_join, size_has, walk_bound, walks
from fhir_server.store.includes import find_included
from fhir_server.store.rows import VERSION_COLUMNS, R, V, stored
from fhir_server.store.search_sql.common import Scope, compare
from fhir_server.store.search_sql.compile import compile_where
from fhir_server.store.search_sql.count import index_count
from fhir_server.store.sorting import (
    SortColumn,
    after_cursor,
    order_by,
    signature,
    sort_column,
)
from fhir_server.store.statements import Statements
from fhir_server.store.subsetting import subset
from fhir_server.store.terminology_codes import resolve_codes
from resources.identity import now
from resources.search.query import SearchQuery
from resources.stored import SearchPage, StoredVersion


@dataclass(frozen=True)
class CompiledSearch:
    """The SQL of a search: its condition on ``resource`` and its sort columns."""

    query: SearchQuery
    where: ColumnElement[bool]
    sorts: tuple[SortColumn, ...]
    signature: str
    base_url: str | None = None

    @property
    def kinds(self) -> tuple[cursors.KeyKind, ...]:
        """The kinds of the sort keys, to read a cursor."""
        return tuple(sort.kind for sort in self.sorts)


_NOT_DELETED = ~R.deleted


@cache
def _of_type(resource_type: str) -> ColumnElement[bool]:
    """``resource_type = :type``, built once per type (an expression is never changed)."""
    return compare(R.resource_type, eq, resource_type)


def compile_search(query: SearchQuery, base_url: str | None = None) -> CompiledSearch:
    """Compile the query's condition and sort keys (nothing runs)."""
    scope = Scope(resource, query.resource_types, now(), base_url)
    types = query.resource_types
    clauses = [_NOT_DELETED, compile_where(query.where, scope)]
    if len(types) == 1:
        clauses.insert(0, _of_type(types[0]))
    elif types:
        clauses.insert(0, R.resource_type.in_(types))
    sorts = tuple(sort_column(key, scope) for key in query.sort)
    return CompiledSearch(query, and_(*clauses), sorts, signature(query.sort), base_url)


def page_statement(
    search: CompiledSearch,
    limit: int,
    cursor: cursors.Cursor | None = None,
    bound: str | None = None,
) -> Select[Any]:
    """The current versions of the matches after ``cursor``, in order, at most ``limit``
    (in the default order of one type, none beyond the id ``bound``).

    The matches are ordered and cut to ``limit`` first (by type, id and sort keys alone), and
    only then joined to their versions: a page reads ``limit`` bodies, however many match.
    """
    if not search.sorts:
        return _in_id_order(search, limit, cursor, bound)
    single = len(search.query.resource_types) == 1
    backward = cursor is not None and cursor.backward
    keys = [sort.expression.label(f"k{n}") for n, sort in enumerate(search.sorts)]
    found = select(*_KEY, *keys).where(search.where).subquery("matched")
    columns = [found.c[key.name] for key in keys]  # each key computed once, named after
    tiebreak: Sequence[ColumnElement[Any]] = [found.c.resource_type, found.c.id][single:]
    page = select(found).order_by(*order_by(columns, search.sorts, tiebreak, reverse=backward))
    if cursor is not None:
        page = page.where(after_cursor(columns, search.sorts, tiebreak, cursor))
    rows = page.limit(limit).subquery("page")
    current = and_(
        compare(V.resource_type, eq, rows.c.resource_type),
        compare(V.id, eq, rows.c.id),
        compare(V.version_id, eq, rows.c.version_id),
    )
    ordered = [rows.c[key.name] for key in keys]
    last: Sequence[ColumnElement[Any]] = [rows.c.resource_type, rows.c.id][single:]
    return (
        select(*VERSION_COLUMNS, *ordered)
        .select_from(rows.join(resource_version, current))
        .order_by(*order_by(ordered, search.sorts, last, reverse=backward))
    )


_KEY = (R.resource_type, R.id, R.version_id)


@dataclass(frozen=True)
class _IdOrder:
    """The parts of a page in the default order that depend on nothing but the page's
    direction and whether it searches one type: built once (SQLAlchemy's statements are
    generative, so every page copies them rather than change them)."""

    keys: Select[Any]
    keys_order: tuple[ColumnElement[Any], ...]
    tiebreak: tuple[ColumnElement[Any], ...]
    versions_order: tuple[ColumnElement[Any], ...]


def _id_order(single: bool, backward: bool) -> _IdOrder:
    tiebreak = (R.resource_type, R.id)[single:]
    last = (V.resource_type, V.id)[single:]
    return _IdOrder(
        select(*_KEY),
        tuple(order_by([], (), tiebreak, reverse=backward)),
        tiebreak,
        tuple(order_by([], (), last, reverse=backward)),
    )


_ID_ORDERS = {
    (single, back): _id_order(single, back) for single in (False, True) for back in (False, True)
}
_VERSIONS = select(*VERSION_COLUMNS)
_VERSION_KEY = tuple_(V.resource_type, V.id, V.version_id)


def _in_id_order(
    search: CompiledSearch, limit: int, cursor: cursors.Cursor | None, bound: str | None
) -> Select[Any]:
    """The page in the default order (type and id): with no sort keys to name, the page's
    keys are an ``IN`` list of the versions, without the subqueries that would name them
    (building those was most of the cost of building a simple search's SQL)."""
    single = len(search.query.resource_types) == 1
    backward = cursor is not None and cursor.backward
    parts = _ID_ORDERS[single, backward]
    page = parts.keys.where(search.where)
    if cursor is not None:
        page = page.where(after_cursor([], (), parts.tiebreak, cursor))
    if bound is not None:
        page = page.where(compare(R.id, ge if backward else le, bound))
    page = page.order_by(*parts.keys_order).limit(limit)
    return _VERSIONS.where(_VERSION_KEY.in_(page)).order_by(*parts.versions_order)


def count_statement(search: CompiledSearch) -> Select[Any]:
    """``count(*)`` of the matches: from the index rows of one of its tests where it can
    (``search_sql.count``), else over ``resource``."""
    counted = index_count(search.query, search.base_url)
    if counted is not None:
        return counted
    return select(func.count()).select_from(resource).where(search.where)


async def _total(conn: Statements, search: CompiledSearch) -> int | None:
    query = search.query
    if query.total == "none" and query.summary != "count":
        return None
    if query.total == "estimate":
        result = await conn.scalar(Explain(select(R.id).where(search.where)))
        plan = orjson.loads(result) if isinstance(result, str | bytes) else result
        return int(plan[0]["Plan"]["Plan Rows"])
    return int(await conn.scalar(count_statement(search)))


def _cursor_at(search: CompiledSearch, row: Any, *, backward: bool) -> str:
    keys = tuple(row[len(VERSION_COLUMNS) + n] for n in range(len(search.sorts)))
    cursor = cursors.Cursor(keys, row.resource_type, row.id, backward)
    return cursors.encode(cursor, search.signature)


async def _page(
    conn: Statements, search: CompiledSearch, raw_cursor: str | None
) -> tuple[list[StoredVersion], str | None, str | None]:
    """The page's versions, and the cursors of the next and previous pages.

    A page read backwards (``previous``) comes in reverse order and is turned around; the
    page it was reached from follows it, so it always has a next page.
    """
    count = search.query.count
    if count == 0 or search.query.summary == "count":
        return [], None, None
    cursor = None
    if raw_cursor is not None:
        cursor = cursors.decode(raw_cursor, search.signature, search.kinds)
    backward = cursor is not None and cursor.backward
    rows = await _page_rows(conn, search, count + 1, cursor)
    more = len(rows) > count
    rows = rows[:count]
    if backward:
        rows.reverse()
    if not rows:
        return [], None, None
    has_next = backward or more
    has_previous = more if backward else cursor is not None
    following = _cursor_at(search, rows[-1], backward=False) if has_next else None
    previous = _cursor_at(search, rows[0], backward=True) if has_previous else None
    return [stored(row) for row in rows], following, previous


async def _page_rows(
    conn: Statements, search: CompiledSearch, limit: int, cursor: cursors.Cursor | None
) -> list[Any]:
    """The page statement's rows. A search that walks its rows for a ``_has``
    (``has_sources``) walks at most ``WALK_ROWS`` of them; when the page is not full by
    then, the search as a join answers it."""
    if walks(search.query):
        bound = await conn.rows(walk_bound(search.query, cursor))
        if bound:
            rows = list(await conn.rows(page_statement(search, limit, cursor, bound[0].id)))
            if len(rows) >= limit:
                return rows
            search = compile_search(as_join(search.query), search.base_url)
    return list(await conn.rows(page_statement(search, limit, cursor)))


def _shaped(
    versions: list[StoredVersion], query: SearchQuery, *, matches: bool
) -> list[StoredVersion]:
    elements = query.elements if matches else ()
    if query.summary in ("false", "count") and not elements:
        return versions
    return [
        replace(v, body=subset(v.body, v.resource_type, query.summary, elements)) if v.body else v
        for v in versions
    ]


async def run_search(
    conn: Statements,
    query: SearchQuery,
    raw_cursor: str | None,
    base_url: str | None = None,
) -> SearchPage:
    """One page of ``query``'s results, continuing after ``raw_cursor``."""
    query = await size_has(conn, await resolve_codes(conn, query), base_url)
    search = compile_search(query, base_url)
    matches, next_cursor, previous_cursor = await _page(conn, search, raw_cursor)
    total = await _total(conn, search)
    included = await find_included(conn, query.includes, matches)
    return SearchPage(
        matches=_shaped(matches, query, matches=True),
        included=_shaped(included.resources, query, matches=False),
        next_cursor=next_cursor,
        total=total,
        warnings=(*query.warnings, *included.warnings),
        previous_cursor=previous_cursor,
    )


async def match_at_most(conn: Statements, query: SearchQuery, limit: int) -> list[StoredVersion]:
    """The first ``limit`` matches in id order (conditional interactions)."""
    query = await resolve_codes(conn, query)
    search = compile_search(query)
    rows = await conn.rows(page_statement(search, limit))
    return [stored(row) for row in rows]
