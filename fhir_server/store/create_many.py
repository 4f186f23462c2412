"""Many unconditional creates in one statement: resource rows, version rows and index rows.

``create`` costs a resource INSERT, a version INSERT and an index statement per resource, each
built and sent on its own. Here every row of a batch goes in one statement: the resource and
version rows from arrays (``unnest``, one array per column), the index rows from one JSON
array per table (``jsonb_to_recordset``, owner columns included), each an INSERT in a CTE.
The statement text depends only on the tables, so it is built once and psycopg prepares it;
its parameters are one value per column, however many resources. The rows are those ``create``
writes (``_with_meta``, ``seal_body``, ``table_rows``): only the number of statements changes.
Version rows are inserted in the items' order, so their ``txid`` s (history order) are too.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import orjson
from sqlalchemy import (
    Insert,
    LargeBinary,
    Table,
    Text,
    bindparam,
    cast,
    column,
    false,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP
from sqlalchemy.ext.asyncio import AsyncConnection

from fhir_server.db.schema import resource, resource_version
from fhir_server.store.index_statement import OWNER, TABLES, json_default, value_columns
from fhir_server.store.index_writer import TableRows, table_rows
from resources import fhir_json
from resources.crypto.protection import seal_body
from resources.identity import instant, new_id, now
from resources.ports import NewResource
from resources.search.registry import SearchRegistry
from resources.stored import StoredVersion, WriteResult

_ARRAYS: dict[str, ARRAY[Any]] = {
    "type": ARRAY(Text()),
    "id": ARRAY(Text()),
    "at": ARRAY(TIMESTAMP(timezone=True)),
    "body": ARRAY(LargeBinary()),
    "key": ARRAY(Text()),
}


def _arrays(*names: str) -> Any:
    """``unnest`` of the named array parameters, as a table with those columns."""
    arrays: list[Any] = [
        bindparam(name, type_=_ARRAYS[name]) for name in names
    ]  # sent as typed arrays
    typed = [column(name, _ARRAYS[name].item_type) for name in names]
    return func.unnest(*arrays).table_valued(*typed).render_derived()


def _resources() -> Insert:
    rows = _arrays("type", "id", "at")
    source = select(rows.c.type, rows.c.id, literal(1), rows.c.at, false())
    columns = ["resource_type", "id", "version_id", "last_updated", "deleted"]
    return insert(resource).from_select(columns, source)


def _versions() -> Insert:
    rows = _arrays("type", "id", "at", "body", "key")
    source = select(
        rows.c.type, rows.c.id, literal(1), rows.c.at, literal("POST"), false(), rows.c.body
    ).add_columns(rows.c.key)
    columns = ["resource_type", "id", "version_id", "last_updated", "method", "deleted"]
    return insert(resource_version).from_select([*columns, "body", "body_key"], source)


def _index(table: Table) -> Insert:
    names = (*OWNER, *value_columns(table))
    rows = cast(bindparam(f"{table.name}_rows", type_=Text()), JSONB)
    typed = [column(name, table.c[name].type) for name in names]
    source = func.jsonb_to_recordset(rows).table_valued(*typed).render_derived(with_types=True)
    return insert(table).from_select(list(names), select(*(source.c[n] for n in names)))


@cache
def create_statement() -> Insert:
    """The one statement of a batch (built once)."""
    parts = [_resources(), _versions(), *(_index(table) for table in TABLES[:-1])]
    return _index(TABLES[-1]).add_cte(*(p.cte(f"c{n}") for n, p in enumerate(parts)))


class _Batch:
    """The rows of a batch, column by column, and what each create returns."""

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in _ARRAYS}
        self.index: TableRows = {}
        self.written: list[StoredVersion] = []

    def add(self, item: NewResource, registry: SearchRegistry) -> None:
        id_, at = item.id_ or new_id(), now()
        document = with_meta(item.resource_type, id_, 1, instant(at), item.body)
        data = fhir_json.dumps(document)
        sealed, key_id = seal_body(item.resource_type, id_, 1, data)
        for name, value in zip(_ARRAYS, (item.resource_type, id_, at, sealed, key_id), strict=True):
            self.columns[name].append(value)
        for table, rows in table_rows(item.resource_type, id_, document, registry).items():
            self.index.setdefault(table, []).extend(rows)
        self.written.append(StoredVersion(item.resource_type, id_, 1, at, False, "POST", data))

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = dict(self.columns)
        for table in TABLES:
            text = orjson.dumps(self.index.get(table, []), default=json_default)
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


async def create_many(
    conn: AsyncConnection, items: Sequence[NewResource], registry: SearchRegistry
) -> list[WriteResult]:
    """Create every item (none conditional) on ``conn``, in one statement."""
    if not items:
        return []
    batch = _Batch()
    for item in items:
        batch.add(item, registry)
    await conn.execute(create_statement(), batch.values())
    return [WriteResult(written, created=True) for written in batch.written]
