"""Many creates in two statements: resource rows, then version and index rows.

``create`` costs a resource INSERT, a version INSERT and an index statement per resource, each
built and sent on its own. Here a batch takes two statements: the resource rows from arrays
(``unnest``, one array per column), skipping ids that exist; then the version rows of those
created, from arrays too, and their index rows from one JSON array per table
(``json_rows``, owner columns included), each an INSERT in a CTE. The statement texts
depend only on the tables, so they are built once and psycopg prepares them; their parameters
are one value per column, however many resources. The rows are those ``create`` writes
(``with_meta``, ``seal_body``, ``table_rows``): only the number of statements changes. Version
rows are inserted in the items' order, so their ``txid`` s (history order) are too.

A PUT to an id that exists (or existed: deleted) is not a create: it is handed to ``update``,
on the same connection, after the creates.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

import orjson
from sqlalchemy import (
    Insert,
    LargeBinary,
    Table,
    Text,
    bindparam,
    column,
    false,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.types import TypeEngine

from fhir_server.db.binary_arrays import BinaryArrayType
from fhir_server.db.json_rows import json_rows
from fhir_server.db.schema import resource, resource_version
from fhir_server.store.early_rows import joined, late_rows
from fhir_server.store.index_statement import OWNER, TABLES, json_default, value_columns
from fhir_server.store.index_writer import TableRows, table_rows
from resources import fhir_json
from resources.crypto.protection import seal_body
from resources.identity import instant, new_id, now
from resources.ports import Mutation, NewResource
from resources.search.registry import SearchRegistry
from resources.stored import Method, StoredVersion, WriteResult

_COLUMNS: dict[str, TypeEngine[Any]] = {
    "type": Text(),
    "id": Text(),
    "at": TIMESTAMP(timezone=True),
    "method": Text(),
    "body": LargeBinary(),
    "key": Text(),
}
"""The array parameters' element types."""
_NULLABLE = frozenset({"key"})
"""Columns that may be all null (no body key without PHI protection): sent in text form; the
others are sent as binary arrays (``BinaryArrayType``)."""
Update = Callable[[AsyncConnection, str, str, Mutation, int | None, Method], Awaitable[WriteResult]]
"""``update`` on a connection (``PostgresResourceStore._update_in``)."""


def _array_type(name: str) -> TypeEngine[Any]:
    item = _COLUMNS[name]
    return ARRAY(item) if name in _NULLABLE else BinaryArrayType(item)


def _arrays(*names: str) -> Any:
    """``unnest`` of the named array parameters, as a table with those columns."""
    arrays: list[Any] = [bindparam(name, type_=_array_type(name)) for name in names]
    typed = [column(name, _COLUMNS[name]) for name in names]
    return func.unnest(*arrays).table_valued(*typed).render_derived()


@cache
def resources_statement() -> ReturningInsert[str, str]:
    """The resource rows of a batch; returns those inserted (an id that exists is not)."""
    rows = _arrays("type", "id", "at")
    source = select(rows.c.type, rows.c.id, literal(1), rows.c.at, false())
    columns = ["resource_type", "id", "version_id", "last_updated", "deleted"]
    statement = pg_insert(resource).from_select(columns, source).on_conflict_do_nothing()
    return statement.returning(resource.c.resource_type, resource.c.id)


def _versions() -> Insert:
    rows = _arrays("type", "id", "at", "method", "body", "key")
    source = select(
        rows.c.type, rows.c.id, literal(1), rows.c.at, rows.c.method, false(), rows.c.body
    ).add_columns(rows.c.key)
    columns = ["resource_type", "id", "version_id", "last_updated", "method", "deleted"]
    return insert(resource_version).from_select([*columns, "body", "body_key"], source)


def _index(table: Table) -> Insert:
    names = (*OWNER, *value_columns(table))
    source = json_rows(f"{table.name}_rows", table, names)
    return insert(table).from_select(list(names), select(*(source.c[n] for n in names)))


@cache
def versions_statement() -> Insert:
    """The version and index rows of a batch's created resources (built once)."""
    parts = [_versions(), *(_index(table) for table in TABLES[:-1])]
    return _index(TABLES[-1]).add_cte(*(p.cte(f"c{n}") for n, p in enumerate(parts)))


class _Batch:
    """The rows of a batch, column by column, and what each create returns."""

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in _COLUMNS}
        self.index: TableRows = {}
        self.early: dict[str, list[bytes]] = {}  # rows computed ahead, by table name
        self.written: list[StoredVersion] = []

    def add(self, item: NewResource, id_: str, at: datetime, registry: SearchRegistry) -> None:
        document = with_meta(item.resource_type, id_, 1, instant(at), item.body)
        data = fhir_json.dumps(document)
        sealed, key_id = seal_body(item.resource_type, id_, 1, data)
        row = (item.resource_type, id_, at, item.method, sealed, key_id)
        for name, value in zip(_COLUMNS, row, strict=True):
            self.columns[name].append(value)
        if item.rows is None:
            rows = table_rows(item.resource_type, id_, document, registry)
        else:  # the rest computed ahead (a bulk import's worker): ``early_rows``
            rows = late_rows(item.resource_type, id_, document, registry)
            for name, array in item.rows.items():
                self.early.setdefault(name, []).append(array)
        for table, found in rows.items():
            self.index.setdefault(table, []).extend(found)
        written = StoredVersion(item.resource_type, id_, 1, at, False, item.method, data)
        self.written.append(written)

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = dict(self.columns)
        for table in TABLES:
            rows, early = self.index.get(table, []), self.early.get(table.name)
            text = joined(early, rows) if early else orjson.dumps(rows, default=json_default)
            values[f"{table.name}_rows"] = text.decode()
        return values


def with_meta(
    resource_type: str, id_: str, version: int, last_updated: str, body: dict[str, Any]
) -> dict[str, Any]:
    """The stored JSON of a version: type, id and meta (versionId, lastUpdated) first."""
    meta = dict(body.get("meta") or {})
    meta["versionId"] = str(version)
    meta["lastUpdated"] = last_updated
    rest = {k: v for k, v in body.items() if k not in ("resourceType", "id", "meta")}
    return {"resourceType": resource_type, "id": id_, "meta": meta, **rest}


def _replacing(body: dict[str, Any]) -> Mutation:
    """The mutation of a PUT: whatever is there becomes ``body``."""
    return lambda _current: body


async def _insert_resources(
    conn: AsyncConnection, items: Sequence[NewResource]
) -> tuple[list[str], list[datetime], set[tuple[str, str]]]:
    """Each item's id and time, and the (type, id) of those whose resource row is new."""
    ids = [item.id_ or new_id() for item in items]
    times = [now() for _ in items]
    # In key order: two transactions inserting the same new ids wait on each other in
    # the same order, not in a deadlock. The version rows keep the items' order.
    rows = sorted(zip((item.resource_type for item in items), ids, times, strict=True))
    values = {name: [row[n] for row in rows] for n, name in enumerate(("type", "id", "at"))}
    inserted = await conn.execute(resources_statement(), values)
    return ids, times, {(row[0], row[1]) for row in inserted}


async def create_many(
    conn: AsyncConnection,
    items: Sequence[NewResource],
    registry: SearchRegistry,
    update: Update,
) -> list[WriteResult]:
    """Create every item on ``conn`` (a PUT to an existing id updates it, after the rest)."""
    if not items:
        return []
    ids, times, inserted = await _insert_resources(conn, items)
    batch, created, existing = _Batch(), [], []
    for n, (item, id_, at) in enumerate(zip(items, ids, times, strict=True)):
        if (item.resource_type, id_) in inserted:
            inserted.discard((item.resource_type, id_))  # a second PUT to it updates it
            batch.add(item, id_, at, registry)
            created.append(n)
        elif item.method == "PUT":
            existing.append(n)
        else:  # ids given to POSTs are new: a clash is a bug, not a client's error
            raise RuntimeError(f"{item.resource_type}/{id_} exists already")
    if batch.written:
        await conn.execute(versions_statement(), batch.values())
    results = {n: WriteResult(v, created=True) for n, v in zip(created, batch.written, strict=True)}
    for n in existing:
        item = items[n]
        results[n] = await update(
            conn, item.resource_type, ids[n], _replacing(item.body), None, "PUT"
        )
    return [results[n] for n in range(len(items))]
