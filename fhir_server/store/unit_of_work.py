"""A unit of work on the resource store: many reads and writes, one database transaction.

``async with store.transaction() as tx:`` opens one connection and one transaction; every
call on ``tx`` runs on it (one transaction, one handle), so a FHIR transaction Bundle commits
all its entries or none, and its GET entries see its own writes. The single-request methods
of ``PostgresResourceStore`` use the same private bodies, so they behave identically.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from fhir_server.store.rows import READ_CURRENT, READ_VERSION, stored
from fhir_server.store.search_engine import match_at_most, run_search
from fhir_server.store.statements import OnConnection
from fhir_server.store.time_limit import answered_as_too_costly
from resources.ports import Mutation, NewResource
from resources.search.query import SearchQuery
from resources.stored import Method, SearchPage, StoredVersion, WriteResult

if TYPE_CHECKING:
    from fhir_server.store.resource_store import PostgresResourceStore


class StoreTransaction:
    """The ``StoreTransaction`` port: the store's interactions on one open transaction."""

    def __init__(self, store: PostgresResourceStore, conn: AsyncConnection) -> None:
        self._store = store
        self._conn = conn
        self._limited = False  # the search time limit set on the transaction

    async def read(self, resource_type: str, id_: str) -> StoredVersion | None:
        row = (await self._conn.execute(READ_CURRENT, {"type": resource_type, "id": id_})).first()
        return stored(row) if row else None

    async def vread(self, resource_type: str, id_: str, version: int) -> StoredVersion | None:
        params = {"type": resource_type, "id": id_, "v": version}
        row = (await self._conn.execute(READ_VERSION, params)).first()
        return stored(row) if row else None

    async def create(
        self,
        resource_type: str,
        resource: dict[str, Any],
        if_none_exist: SearchQuery | None,
        id_: str | None = None,
    ) -> WriteResult:
        return await self._store._create_in(self._conn, resource_type, resource, if_none_exist, id_)

    def batches(self, resource_type: str) -> bool:
        """Every type: the store itself needs no create alone."""
        return True

    async def create_many(self, items: Sequence[NewResource]) -> list[WriteResult]:
        return await self._store._create_many_in(self._conn, items)

    async def update(
        self, resource_type: str, id_: str, mutate: Mutation, if_match: int | None, method: Method
    ) -> WriteResult:
        return await self._store._update_in(
            self._conn, resource_type, id_, mutate, if_match, method
        )

    async def update_matching(
        self,
        criteria: SearchQuery,
        mutate: Mutation,
        if_match: int | None,
        method: Method,
        new_id_: str | None,
    ) -> WriteResult:
        return await self._store._update_matching_in(
            self._conn, criteria, mutate, if_match, method, new_id_
        )

    async def delete(
        self, resource_type: str, id_: str, if_match: int | None
    ) -> StoredVersion | None:
        return await self._store._delete_in(self._conn, resource_type, id_, if_match)

    async def delete_matching(self, criteria: SearchQuery, limit: int) -> list[StoredVersion]:
        return await self._store._delete_matching_in(self._conn, criteria, limit)

    async def match(self, query: SearchQuery, limit: int) -> list[StoredVersion]:
        await self._limit_searches()
        with answered_as_too_costly("A search in the transaction"):
            return await match_at_most(OnConnection(self._conn), query, limit)

    async def search(self, query: SearchQuery, base_url: str | None = None) -> SearchPage:
        await self._limit_searches()
        with answered_as_too_costly("A search in the transaction"):
            return await run_search(OnConnection(self._conn), query, None, base_url)

    async def _limit_searches(self) -> None:
        if not self._limited:
            await self._store.limit_searches(self._conn)
            self._limited = True


@asynccontextmanager
async def open_transaction(store: PostgresResourceStore) -> AsyncIterator[StoreTransaction]:
    """One connection and one transaction for the block: commit at its end, else roll back."""
    async with store.engine.begin() as conn:
        yield StoreTransaction(store, conn)
