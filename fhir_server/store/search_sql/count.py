"""A search's ``count(*)`` from the index rows of one of its tests, without ``resource``.

Only live resources' current versions have index rows: a delete removes them, under the row
lock a reindex also takes. So where a search of one type has a plain test of an index table
(a token, a date, a reference, ...: not negated, not kept as blind index rows), its count is
the number of distinct owners of that test's rows that pass every other test. As a count over
``resource``, PostgreSQL hashed the test's rows and read every resource of the type, so a
count grew with the table, not with its matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    distinct,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.sql.operators import eq

from fhir_server.db.schema import resource
from fhir_server.store.search_sql.blind import is_blinded
from fhir_server.store.search_sql.common import Scope, compare
from fhir_server.store.search_sql.compile import compile_expr
from fhir_server.store.search_sql.leaves import LEAVES, leaf_table
from resources.identity import now
from resources.search.query import AllOf, AnyOf, Expr, Leaf, SearchQuery


def _plain_leaves(item: Expr, types: Sequence[str]) -> list[Leaf] | None:
    """The leaves of ``item`` when it is one plain test: a leaf, or the comma-separated
    values of one parameter (all of one kind), none kept as blind index rows."""
    leaves: list[Any] = list(item.items) if isinstance(item, AnyOf) else [item]
    first = leaves[0] if leaves else None
    if first is None or type(first) not in LEAVES or is_blinded(first, types):
        return None
    if any(type(x) is not type(first) or x.param.code != first.param.code for x in leaves):
        return None
    return leaves


def index_count(query: SearchQuery, base_url: str | None = None) -> Select[Any] | None:
    """``count(*)`` of the query's matches from the index rows of its first plain test, or
    None where it has none, has several types, or another test reads the ``resource`` row
    (``_lastUpdated``)."""
    found = _lead_rows(query, base_url)
    if found is None:
        return None
    lead, where = found
    return select(func.count(distinct(lead.c.resource_id))).where(*where)


def index_rows_up_to(
    query: SearchQuery, cap: int, base_url: str | None = None
) -> Select[Any] | None:
    """How many of the query's first plain test's rows that pass its other tests, counted up
    to ``cap``: at least as many as its matches (a resource may have several such rows); a
    test alone is read from its index without the table. None where ``index_count`` is."""
    found = _lead_rows(query, base_url)
    if found is None:
        return None
    lead, where = found
    rows = select(literal_column("1")).select_from(lead).where(*where).limit(cap).subquery("rows")
    return select(func.count()).select_from(rows)


def _lead_rows(
    query: SearchQuery, base_url: str | None
) -> tuple[FromClause, list[ColumnElement[bool]]] | None:
    """The index table of the query's first plain test, and the conditions on its rows that
    make their owners the query's matches."""
    if len(query.resource_types) != 1:
        return None
    items = list(query.where.items) if isinstance(query.where, AllOf) else [query.where]
    plain = [(n, _plain_leaves(item, query.resource_types)) for n, item in enumerate(items)]
    n, leaves = next(((n, leaves) for n, leaves in plain if leaves is not None), (0, None))
    if leaves is None:
        return None
    table, predicate = leaf_table(leaves[0])
    lead = table.alias("lead")
    owner = Scope(resource, query.resource_types, now(), base_url)
    row = owner.alias(resource)
    scope = owner.narrowed(row, query.resource_types[0], lead.c.resource_id)
    others = [compile_expr(other, scope) for other in items[:n] + items[n + 1 :]]
    if scope.row_read():
        return None
    return lead, [
        compare(lead.c.resource_type, eq, query.resource_types[0]),
        compare(lead.c.param, eq, leaves[0].param.code),
        or_(*(predicate(leaf, lead, scope) for leaf in leaves)),
        *others,
    ]
