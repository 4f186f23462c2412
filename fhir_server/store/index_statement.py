"""One statement that replaces a resource's index rows in every index table.

Per table, a DELETE of the owner's rows (left out for a first version) and an INSERT of the new
rows, read from one JSON array per table (``json_rows``), all as CTEs of a single
statement: one round trip whatever the number of rows and tables, and one short statement
text per case, so PostgreSQL plans it once per connection (psycopg prepares it). The
sub-statements of one statement share a snapshot: a DELETE never sees its sibling's new rows.
They run in no set order, so the index tables have no unique keys (an INSERT could meet the row
its sibling DELETE is about to remove).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

import orjson
from sqlalchemy import (
    Delete,
    Insert,
    Table,
    Text,
    bindparam,
    delete,
    insert,
    select,
)

from fhir_server.db.json_rows import json_rows
from fhir_server.db.schema import INDEX_TABLES
from fhir_server.db.text_tables import search_text

TableRows = dict[Table, list[dict[str, Any]]]
OWNER = ("resource_type", "resource_id")
TABLES: tuple[Table, ...] = (*INDEX_TABLES.values(), search_text)
"""Every table a resource's index rows go to: one per parameter type, and full text."""


def value_columns(table: Table) -> tuple[str, ...]:
    """The columns of ``table`` besides its owner."""
    return tuple(c.name for c in table.c if c.name not in OWNER)


def _owner() -> tuple[Any, Any]:
    return bindparam("owner_type", type_=Text()), bindparam("owner_id", type_=Text())


def _insert(table: Table, omit: frozenset[str]) -> Insert:
    names = tuple(name for name in value_columns(table) if name not in omit)
    source = json_rows(f"{table.name}_rows", table, names)
    return insert(table).from_select(
        [*OWNER, *names], select(*_owner(), *(source.c[name] for name in names))
    )


@cache
def _statement(tables: tuple[Table, ...], *, clear: bool, omit: frozenset[str]) -> Insert:
    owner_type, owner_id = _owner()
    parts: list[Insert | Delete] = []
    if clear:
        parts += [
            delete(t).where(t.c.resource_type == owner_type, t.c.resource_id == owner_id)
            for t in tables
        ]
    parts += [_insert(table, omit) for table in tables[:-1]]
    return _insert(tables[-1], omit).add_cte(*(p.cte(f"p{n}") for n, p in enumerate(parts)))


def json_default(value: Any) -> Any:
    """orjson's ``default`` for index rows: a ``Decimal`` as its text."""
    if isinstance(value, Decimal):
        return str(value)  # as text: json_to_recordset reads it into numeric, digits kept
    raise TypeError(type(value).__name__)


def replace_statement(
    resource_type: str,
    id_: str,
    rows: TableRows,
    *,
    clear: bool,
    tables: tuple[Table, ...] = TABLES,
    omit: frozenset[str] = frozenset(),
) -> tuple[Insert, dict[str, Any]]:
    """The statement and its parameters; ``clear`` adds the DELETEs of the previous rows.
    ``tables`` narrows it to some tables and ``omit`` names columns left out of the INSERTs
    (a migration that runs before the other tables and columns exist)."""
    values: dict[str, Any] = {"owner_type": resource_type, "owner_id": id_}
    for table in tables:
        items = [{k: v for k, v in item.items() if k not in OWNER} for item in rows.get(table, [])]
        values[f"{table.name}_rows"] = orjson.dumps(items, default=json_default).decode()
    return _statement(tables, clear=clear, omit=omit), values
