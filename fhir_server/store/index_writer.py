"""Index rows of a resource's current version, written in the version's own transaction.

The values come from ``extract_all`` and become rows through THE SEAM (``index_rows``) only;
this module just lays those rows out as table rows (owner, parameter, value columns) and
replaces the previous version's rows. ``_id`` and ``_lastUpdated`` are not stored: search
answers them from the ``resource`` table.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from fhir_server.db.schema import INDEX_TABLES, search_composite, search_token
from fhir_server.db.text_tables import search_text
from fhir_server.store.index_statement import replace_statement
from fhir_server.store.text_limits import clip
from resources.search.extract import extract, extract_all
from resources.search.fhirpath import FhirPathEvaluationError
from resources.search.index_rows import (
    ROW_KIND,
    IndexRows,
    SimpleRow,
    index_rows,
)
from resources.search.param_def import SearchParamDef
from resources.search.registry import SearchRegistry
from resources.search.values import IndexValue

_log = logging.getLogger(__name__)
NOT_STORED = frozenset({"_id", "_lastUpdated"})
"""Parameters answered from the ``resource`` table."""
TableRows = dict[Table, list[dict[str, Any]]]
Owner = Mapping[str, str]


def _value_fields(row_type: type[SimpleRow]) -> tuple[tuple[str, bool], ...]:
    """The row's value fields (its columns), each with whether it is text to clip."""
    columns = INDEX_TABLES[ROW_KIND[row_type]].c
    return tuple(
        (f.name, columns[f.name].type.python_type is str)
        for f in fields(row_type)
        if f.name != "param"
    )


_FIELDS = {row_type: _value_fields(row_type) for row_type in ROW_KIND}
_TABLES = {row_type: INDEX_TABLES[name] for row_type, name in ROW_KIND.items()}


def _row(row: SimpleRow, param: str, owner: Owner, ord_: int | None) -> dict[str, Any]:
    laid_out: dict[str, Any] = {**owner, "param": param}
    for name, is_text in _FIELDS[type(row)]:
        value = getattr(row, name)
        laid_out[name] = clip(value) if is_text else value
    laid_out["composite_ord"] = ord_
    return laid_out


def _extract(resource: dict[str, Any], registry: SearchRegistry) -> dict[str, list[IndexValue]]:
    try:
        return extract_all(resource, registry)
    except FhirPathEvaluationError:
        pass  # one parameter's expression failed on this resource: index the others
    resource_type = str(resource.get("resourceType"))
    found: dict[str, list[IndexValue]] = {}
    for code, param in registry.params_for(resource_type).items():
        try:
            values = extract(resource, param, registry)
        except FhirPathEvaluationError as error:
            _log.warning("%s: %s not indexed: %s", resource_type, code, error)
            continue
        if values:
            found[code] = values
    return found


def _add(tables: TableRows, row: SimpleRow, param: str, owner: Owner, ord_: int | None) -> None:
    tables.setdefault(_TABLES[type(row)], []).append(_row(row, param, owner, ord_))


def _laid_out(rows: IndexRows, owner: Owner) -> TableRows:
    tables: TableRows = {}
    lists = (rows.string, rows.token, rows.date, rows.number, rows.quantity, rows.reference)
    for items in (*lists, rows.uri):
        for row in items:
            _add(tables, row, row.param, owner, None)
    for ord_, composite in enumerate(rows.composite):
        tables.setdefault(search_composite, []).append(
            {**owner, "param": composite.param, "ord": ord_}
        )
        for position, part in enumerate(composite.parts):
            _add(tables, part, f"{composite.param}${position}", owner, ord_)
    for text in rows.text:
        tables.setdefault(search_text, []).append(
            {**owner, "param": text.param, "words": list(text.words)}
        )
    return tables


def table_rows(
    resource_type: str, id_: str, resource: dict[str, Any], registry: SearchRegistry
) -> TableRows:
    """Every index row of ``resource`` (its stored JSON), per table, ready to insert."""
    values = {
        code: found
        for code, found in _extract(resource, registry).items()
        if code not in NOT_STORED
    }
    owner = {"resource_type": resource_type, "resource_id": id_}
    return _laid_out(index_rows(resource_type, values), owner)


def param_table_rows(
    resource_type: str,
    id_: str,
    resource: dict[str, Any],
    params: list[SearchParamDef],
    registry: SearchRegistry,
) -> TableRows:
    """The index rows of only ``params`` (a reindex of some parameters), through the seam."""
    values: dict[str, list[IndexValue]] = {}
    for param in params:
        try:
            found = extract(resource, param, registry)
        except FhirPathEvaluationError as error:
            _log.warning("%s: %s not indexed: %s", resource_type, param.code, error)
            continue
        if found and param.code not in NOT_STORED:
            values[param.code] = found
    owner = {"resource_type": resource_type, "resource_id": id_}
    return _laid_out(index_rows(resource_type, values), owner)


async def replace_index(
    conn: AsyncConnection,
    resource_type: str,
    id_: str,
    resource: dict[str, Any] | None,
    registry: SearchRegistry,
    *,
    fresh: bool = False,
) -> None:
    """Make the index rows of (type, id) those of ``resource``; None removes them (delete).

    ``fresh`` skips the removal for a resource that cannot have rows yet (its first version).
    One statement does it all (``index_statement``).
    """
    rows = table_rows(resource_type, id_, resource, registry) if resource is not None else {}
    if fresh and not rows:
        return
    statement, values = replace_statement(resource_type, id_, rows, clear=not fresh)
    await conn.execute(statement, values)


LATER_COLUMNS = frozenset({"prefixes"})
"""Columns the index tables gained after revision 0002 (0013: blind string prefix keys)."""


def index_sync(
    connection: Connection,
    resource_type: str,
    id_: str,
    resource: dict[str, Any],
    registry: SearchRegistry,
) -> None:
    """Write the index rows of a resource that has none yet, on a synchronous connection
    (migration 0002, which builds the index for existing resources): the tables of the
    parameter types only, since the full-text table comes later (a reindex fills it), and
    without ``LATER_COLUMNS``, which a migration, holding no PHI keys, leaves empty anyway."""
    tables = tuple(INDEX_TABLES.values())
    rows = {
        t: r for t, r in table_rows(resource_type, id_, resource, registry).items() if t in tables
    }
    if any(
        row.get(name) is not None for name in LATER_COLUMNS for row in rows.get(search_token, [])
    ):
        raise RuntimeError("PHI keys are loaded: run database migrations without them")
    if rows:
        statement, values = replace_statement(
            resource_type, id_, rows, clear=False, tables=tables, omit=LATER_COLUMNS
        )
        connection.execute(statement, values)
