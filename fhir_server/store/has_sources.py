"""Which form a ``_has`` test takes (``Has.many_sources``): decided before the search is
compiled, from how many index rows its sources have, counted up to ``WALK_FROM``.

As a join, PostgreSQL guesses how many rows have a source from the distinct ids of every
resource type in ``resource``, not of the row's type; for a code on a few thousand
Observations it expected a few patients where half of them matched, and probed every
patient's every Observation. With many sources the rows are walked in page order instead,
each probed for one source (``search_sql.chain.has``), which stops at the page. With few
sources the join stays: PostgreSQL then starts from the sources, which the walk would not.

Only a page in the default order, without a total, is walked: a sort or a count reads every
row, and the join is the cheaper way to test them all.

The count tells how many sources there are, not how many rows they point at: the sources of a
code on thousands of Observations may belong to a few patients, whose ids may lie together
late in page order, and the walk would probe every patient before them (at a million
resources 193 ms). So a walk goes through at most ``WALK_ROWS`` rows (``walk_bound``); a page
not full by then is answered by the join (``as_join``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.sql.operators import eq, gt, lt

from fhir_server.store.cursor import Cursor
from fhir_server.store.rows import R
from fhir_server.store.search_sql.common import compare
from fhir_server.store.search_sql.count import index_rows_up_to
from fhir_server.store.statements import Statements
from resources.search.query import AllOf, Expr, Has, SearchQuery

WALK_FROM = 2000
"""Index rows of the sources from which a ``_has`` is walked. The walk costs the rows read
until a page fills times the references probed per row, the join about one probe per source;
on the Synthea patients at 287k resources the walk was the cheaper from between 1,230 and
3,330 sources of a code (2-4 ms against 26-45 ms, or 0.5 s where PostgreSQL chose wrong)."""
WALK_ROWS = 1000
"""Rows a walk goes through before the join answers the page instead: at a million resources
1,000 Synthea patients took 39 ms to walk and the join 21-25 ms, where the unbounded walk took
about 200 ms for the codes whose few patients came late in id order."""


async def size_has(
    conn: Statements, query: SearchQuery, base_url: str | None = None
) -> SearchQuery:
    """``query`` with its top-level ``_has`` tests marked where they have many sources
    (``base_url`` as for the search: references to this server's URLs are local)."""
    if query.sort or query.total != "none" or query.summary == "count":
        return query
    items = query.where.items
    if len(query.resource_types) != 1 or not any(isinstance(item, Has) for item in items):
        return query
    sized = [
        await _sized(conn, item, base_url) if isinstance(item, Has) else item for item in items
    ]
    return dataclasses.replace(query, where=AllOf(tuple(sized)))


async def _sized(conn: Statements, has: Has, base_url: str | None) -> Has:
    inner: Expr = has.inner
    sources = SearchQuery(
        (has.source_type,), inner if isinstance(inner, AllOf) else AllOf((inner,))
    )
    statement = index_rows_up_to(sources, WALK_FROM, base_url)
    if statement is None:  # no plain test to count from: PostgreSQL decides
        return has
    rows = int(await conn.scalar(statement))
    return dataclasses.replace(has, many_sources=rows >= WALK_FROM)


def _items(query: SearchQuery) -> tuple[Expr, ...]:
    return query.where.items if isinstance(query.where, AllOf) else ()


def walks(query: SearchQuery) -> bool:
    """Whether ``query`` (sized) walks its rows for a ``_has``."""
    return any(isinstance(item, Has) and item.many_sources for item in _items(query))


def as_join(query: SearchQuery) -> SearchQuery:
    """``query`` (sized) with every ``_has`` a join."""
    items = tuple(
        dataclasses.replace(item, many_sources=False) if isinstance(item, Has) else item
        for item in _items(query)
    )
    return dataclasses.replace(query, where=AllOf(items))


def walk_bound(query: SearchQuery, cursor: Cursor | None) -> Select[Any]:
    """The id of the ``WALK_ROWS``-th live row of the query's type after ``cursor`` in page
    order (no row when fewer are left): the walk goes no further. An index-only scan of that
    many entries of the type's id index."""
    rows = select(R.id).where(compare(R.resource_type, eq, query.resource_types[0]), ~R.deleted)
    backward = cursor is not None and cursor.backward
    if cursor is not None:
        rows = rows.where(compare(R.id, lt if backward else gt, cursor.id))
    order = R.id.desc() if backward else R.id.asc()
    return rows.order_by(order).offset(WALK_ROWS - 1).limit(1)
