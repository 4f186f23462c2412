"""Replace the index rows of some parameters for a batch of resources, in a few statements.

Per index table, one statement deletes the batch's rows (of the named parameters, for a
``$reindex?url=``, which leaves every other parameter's rows alone; else all of them) and
another inserts the new ones (``json_rows``), instead of one full replacement per
resource: a batch of 500 costs about 16 statements per type, whatever its size. The rows come
through the seam (``index_writer.table_rows`` or ``param_table_rows``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Delete, Insert, Table, Text, bindparam, delete, func, insert
from sqlalchemy import select as select_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from fhir_server.db.json_rows import json_rows
from fhir_server.store.index_statement import TABLES, TableRows
from resources.search.param_def import SearchParamDef


def stored_names(params: Iterable[SearchParamDef]) -> list[str]:
    """The ``param`` values the rows of these parameters carry (a composite's parts too)."""
    names: list[str] = []
    for param in params:
        names.append(param.code)
        names += [f"{param.code}${n}" for n in range(len(param.component))]
    return names


def _delete(table: Table, *, every: bool) -> Delete:
    c = table.c
    statement = delete(table).where(
        c.resource_type == bindparam("owner_type", type_=Text()),
        c.resource_id == func.any(bindparam("owner_ids", type_=ARRAY(Text()))),
    )
    if every:
        return statement
    return statement.where(c.param == func.any(bindparam("params", type_=ARRAY(Text()))))


def _insert(table: Table) -> Insert:
    names = [c.name for c in table.c]
    source = json_rows("rows", table, names)
    return insert(table).from_select(names, select_(*(source.c[n] for n in names)))


_DELETES = {table: _delete(table, every=False) for table in TABLES}
_DELETES_ALL = {table: _delete(table, every=True) for table in TABLES}
_INSERTS = {table: _insert(table) for table in TABLES}


def _json(value: Any) -> Any:
    return str(value)  # Decimal and datetime: read back by json_to_recordset as typed


async def replace_param_rows(
    conn: AsyncConnection,
    resource_type: str,
    ids: list[str],
    names: list[str] | None,
    rows: TableRows,
) -> None:
    """Make the rows of parameters ``names`` (None: of every parameter) of these resources
    exactly ``rows``."""
    owner: dict[str, Any] = {"owner_type": resource_type, "owner_ids": ids}
    deletes = _DELETES_ALL if names is None else _DELETES
    if names is not None:
        owner["params"] = names
    for table in TABLES:
        await conn.execute(deletes[table], owner)
        items = rows.get(table)
        if items:
            text = orjson.dumps(items, default=_json).decode()
            await conn.execute(_INSERTS[table], {"rows": text})


def merge(into: TableRows, rows: TableRows) -> None:
    """Add one resource's rows to a batch's."""
    for table, items in rows.items():
        into.setdefault(table, []).extend(items)
