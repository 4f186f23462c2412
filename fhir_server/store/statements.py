"""Where a search's statements run.

A search reads with a handful of SQLAlchemy Core statements (the page, its count, the
included resources, the sizing of a ``_has``, value sets for ``:in``). Inside a transaction
(a Bundle's GET entry, a conditional write) they run on the transaction's SQLAlchemy
connection (``OnConnection``); the store's own searches run them on psycopg directly
(``OnPsycopg``): SQLAlchemy still builds and compiles each statement, from the same
compiled-statement cache logic it uses itself, but its connection, execution-context and
result layers, which cost more CPU than a simple search's SQL, are skipped
(docs/adr/0002-searches-on-psycopg.md). Rows read by position and by column name either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast
from weakref import WeakKeyDictionary

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import LRUCache


class Statements(Protocol):
    """Runs read-only Core statements."""

    async def rows(self, statement: Executable) -> Sequence[Any]:
        """Every row of the statement's result."""
        ...

    async def scalar(self, statement: Executable) -> Any:
        """The one value of a one-row, one-column result."""
        ...


@dataclass(frozen=True)
class OnConnection:
    """Statements on a SQLAlchemy connection, in whatever transaction it holds."""

    conn: AsyncConnection

    async def rows(self, statement: Executable) -> Sequence[Any]:
        return (await self.conn.execute(statement)).all()

    async def scalar(self, statement: Executable) -> Any:
        return (await self.conn.execute(statement)).scalar_one()


_COMPILED: LRUCache[Any, Any] = LRUCache(1000)
"""Compiled statements by their SQLAlchemy cache key, as an engine keeps them."""


def _sql(statement: Executable, dialect: Dialect) -> tuple[SQLCompiler, str, dict[str, Any]]:
    """The statement compiled (from the cache when its shape was seen) and its parameters,
    as SQLAlchemy's execution context makes them for psycopg (``DefaultExecutionContext.
    _init_compiled``: values of this statement, ``IN`` lists expanded, bind processors
    applied, names escaped)."""
    found, extracted, collected, _ = statement._compile_w_cache(
        dialect=dialect, compiled_cache=_COMPILED, column_keys=[], for_executemany=False
    )
    compiled = cast(SQLCompiler, found)
    values = compiled.construct_params(
        extracted_parameters=extracted, escape_names=False, _collected_params=collected
    )
    sql: str = compiled.string
    processors: Mapping[str, Any] = compiled._bind_processors
    if compiled.literal_execute_params or compiled.post_compile_params:
        expanded = compiled._process_parameters_for_postcompile(values)
        sql, values = expanded.statement, dict(expanded.parameters)
        processors = {**processors, **expanded.processors}
    escaped: dict[str, str] = compiled.escaped_bind_names or {}
    parameters = {
        escaped.get(key, key): processors[key](value) if key in processors else value
        for key, value in values.items()
    }
    return compiled, sql, parameters


_PROCESSORS: WeakKeyDictionary[SQLCompiler, tuple[Any, ...]] = WeakKeyDictionary()
"""Result processors by compiled statement: its result's column types never change."""


def _result_processors(compiled: SQLCompiler, cursor: psycopg.AsyncCursor[Any]) -> tuple[Any, ...]:
    """Per column of the result, SQLAlchemy's processor for its type, if any (a textual
    statement's columns have no type, so none); looked up once per compiled statement."""
    found = _PROCESSORS.get(compiled)
    if found is None:
        types = [column.type for column in compiled._result_columns]
        found = tuple(
            types[n]._cached_result_processor(compiled.dialect, column.type_code)
            if n < len(types)
            else None
            for n, column in enumerate(cursor.description or [])
        )
        _PROCESSORS[compiled] = found
    return found


@dataclass(frozen=True)
class OnPsycopg:
    """Statements on a psycopg connection of the store's search pool (autocommit; each
    execution planned for its values, ``engine.CUSTOM_PLANS``)."""

    conn: psycopg.AsyncConnection[Any]
    dialect: Dialect

    async def rows(self, statement: Executable) -> list[Any]:
        compiled, sql, parameters = _sql(statement, self.dialect)
        try:
            async with self.conn.cursor(row_factory=namedtuple_row) as cursor:
                await cursor.execute(sql, parameters)
                rows = await cursor.fetchall()
                processors = _result_processors(compiled, cursor)
        except psycopg.Error as error:
            raise DBAPIError.instance(
                sql, parameters, error, psycopg.Error, dialect=self.dialect
            ) from error
        if not any(processors):
            return rows
        return [
            type(row)._make(p(v) if p else v for p, v in zip(processors, row, strict=True))
            for row in rows
        ]

    async def scalar(self, statement: Executable) -> Any:
        rows = await self.rows(statement)
        if len(rows) != 1:
            raise ValueError(f"expected one row, got {len(rows)}")
        return rows[0][0]
