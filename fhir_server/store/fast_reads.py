"""Read-by-id and vread, the two hottest queries, on a psycopg pool of their own; and a second
pool for the store's searches (docs/adr/0002-searches-on-psycopg.md).

The statements are still built with SQLAlchemy Core (compiled once, at import); only their
execution skips SQLAlchemy's connection and result layers, which cost more per read than the
query itself (see docs/adr/0001-hot-reads-on-psycopg.md). The pool runs in autocommit, so a
read is one round trip and psycopg keeps the statements prepared.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.dialects import postgresql

from fhir_server.db.engine import CUSTOM_PLANS, sync_url
from fhir_server.store.rows import READ_CURRENT, READ_VERSION
from fhir_server.store.time_limit import milliseconds
from resources.crypto.protection import open_body
from resources.stored import StoredVersion

_DIALECT = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
_READ_CURRENT_SQL = str(READ_CURRENT.compile(dialect=_DIALECT))
_READ_VERSION_SQL = str(READ_VERSION.compile(dialect=_DIALECT))


def libpq_url(database_url: str) -> str:
    """The database URL as libpq reads it (no SQLAlchemy driver name)."""
    return sync_url(database_url).replace("postgresql+psycopg://", "postgresql://", 1)


def _stored(row: TupleRow | None) -> StoredVersion | None:
    if row is None:
        return None
    resource_type, id_, version, last_updated, deleted, method, body = row
    opened = open_body(resource_type, id_, version, body)
    return StoredVersion(
        resource_type, id_, version, last_updated.astimezone(UTC), deleted, method, opened
    )


def _autocommit_pool(url: str, size: int, **settings: Any) -> AsyncConnectionPool[Any]:
    kwargs = {"autocommit": True, **settings}
    return AsyncConnectionPool(url, min_size=1, max_size=size, kwargs=kwargs, open=False)


class FastReader:
    """``read`` and ``vread`` on a dedicated autocommit pool; ``search_pool`` for searches."""

    def __init__(self, database_url: str, size: int, search_timeout_s: float = 0.0) -> None:
        url = libpq_url(database_url)
        self.pool = _autocommit_pool(url, size, prepare_threshold=0)
        self.search_timeout_ms = milliseconds(search_timeout_s)
        options = CUSTOM_PLANS
        if self.search_timeout_ms:
            options += f" -c statement_timeout={self.search_timeout_ms}"
        self.search_pool = _autocommit_pool(url, size, options=options)
        """Connections set as the SQLAlchemy engine's: statements prepared from their fifth
        run, each execution planned for its values; PostgreSQL cancels a statement that runs
        past ``search_timeout_s`` (0: never)."""

    async def open(self) -> None:
        """Open the pools (at application start)."""
        await self.pool.open()
        await self.search_pool.open()

    async def close(self) -> None:
        """Close the pools (at application stop)."""
        await self.search_pool.close()
        await self.pool.close()

    async def read(self, resource_type: str, id_: str) -> StoredVersion | None:
        """The current version of a resource, deleted or not."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(_READ_CURRENT_SQL, {"type": resource_type, "id": id_})
            return _stored(await cursor.fetchone())

    async def vread(self, resource_type: str, id_: str, version: int) -> StoredVersion | None:
        """One version of a resource."""
        parameters = {"type": resource_type, "id": id_, "v": version}
        async with self.pool.connection() as conn:
            cursor = await conn.execute(_READ_VERSION_SQL, parameters)
            return _stored(await cursor.fetchone())
