"""``ResourceStore`` on PostgreSQL: one row per resource, one row per version.

Every write is one transaction holding the resource's row lock, so concurrent updates of
one resource are serialised: each sees the version the previous one wrote, and the primary
key on (type, id, version) makes a lost or duplicated version impossible. The search index
rows of the new version are written in that same transaction (``index_writer``).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from fhir_server.db.schema import resource, resource_version
from fhir_server.store.create_many import create_many, with_meta
from fhir_server.store.fast_reads import FastReader
from fhir_server.store.index_writer import replace_index
from fhir_server.store.rows import CURRENT_JOIN, VERSION_COLUMNS, R, V, stored
from fhir_server.store.search_engine import match_at_most, run_search
from fhir_server.store.statements import OnConnection, OnPsycopg
from fhir_server.store.time_limit import answered_as_too_costly
from fhir_server.store.unit_of_work import StoreTransaction, open_transaction
from profiles_ig.search_params import builtin_registry
from resources import error_codes, fhir_json
from resources.crypto.protection import seal_body
from resources.errors import Invalid, NotFound, PreconditionFailed
from resources.identity import instant, new_id, now
from resources.ports import Mutation, NewResource
from resources.search.query import SearchQuery
from resources.search.registry import SearchRegistry
from resources.stored import HistoryPage, Method, SearchPage, StoredVersion, WriteResult

_SET_LIMIT = text("SELECT set_config('statement_timeout', :limit, true)")
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_LOCK_AND_LIMIT = text(
    "SELECT pg_advisory_xact_lock(:key), set_config('statement_timeout', :limit, true)"
)


def _check_version(if_match: int | None, current: int | None, id_: str) -> None:
    if if_match is not None and if_match != current:
        raise PreconditionFailed(
            f"Version mismatch for {id_}: If-Match {if_match}, current {current}",
            error_codes.VERSION_CONFLICT,
        )


class PostgresResourceStore:
    """The ``ResourceStore`` port on an async SQLAlchemy engine."""

    def __init__(
        self, engine: AsyncEngine, reader: FastReader, registry: SearchRegistry | None = None
    ) -> None:
        self.engine = engine
        self.fast = reader
        # Other reads run in autocommit: no BEGIN/ROLLBACK round trips, and psycopg keeps
        # its prepared statements (a ROLLBACK on return to the pool would discard them).
        self.reader = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.registry = registry or builtin_registry()

    async def read(self, resource_type: str, id_: str) -> StoredVersion | None:
        return await self.fast.read(resource_type, id_)

    async def vread(self, resource_type: str, id_: str, version: int) -> StoredVersion | None:
        return await self.fast.vread(resource_type, id_, version)

    def transaction(self) -> AbstractAsyncContextManager[StoreTransaction]:
        """A unit of work: every call on the yielded handle runs on one connection, in one
        database transaction, committed when the block ends and rolled back if it raises."""
        return open_transaction(self)

    async def create(
        self, resource_type: str, body: dict[str, Any], if_none_exist: SearchQuery | None
    ) -> WriteResult:
        async with self.engine.begin() as conn:
            return await self._create_in(conn, resource_type, body, if_none_exist, None)

    async def _create_in(
        self,
        conn: AsyncConnection,
        resource_type: str,
        body: dict[str, Any],
        if_none_exist: SearchQuery | None,
        id_: str | None,
    ) -> WriteResult:
        if if_none_exist is not None:
            existing = await self._match_one(conn, if_none_exist)
            if existing is not None:
                return WriteResult(existing, created=False)
        id_ = id_ or new_id()
        at = now()
        await conn.execute(
            insert(resource).values(
                resource_type=resource_type,
                id=id_,
                version_id=1,
                last_updated=at,
                deleted=False,
            )
        )
        written = await self._write_version(conn, resource_type, id_, 1, at, "POST", body)
        return WriteResult(written, created=True)

    async def _create_many_in(
        self, conn: AsyncConnection, items: Sequence[NewResource]
    ) -> list[WriteResult]:
        return await create_many(conn, items, self.registry, self._update_in)

    async def update(
        self,
        resource_type: str,
        id_: str,
        mutate: Mutation,
        if_match: int | None,
        method: Method,
    ) -> WriteResult:
        async with self.engine.begin() as conn:
            return await self._update_in(conn, resource_type, id_, mutate, if_match, method)

    async def update_matching(
        self,
        criteria: SearchQuery,
        mutate: Mutation,
        if_match: int | None,
        method: Method,
        new_id_: str | None,
    ) -> WriteResult:
        async with self.engine.begin() as conn:
            return await self._update_matching_in(conn, criteria, mutate, if_match, method, new_id_)

    async def _update_matching_in(
        self,
        conn: AsyncConnection,
        criteria: SearchQuery,
        mutate: Mutation,
        if_match: int | None,
        method: Method,
        new_id_: str | None,
    ) -> WriteResult:
        resource_type = criteria.resource_types[0]
        found = await self._match_one(conn, criteria, "The condition")
        if found is not None:
            id_ = found.id
        elif method == "PATCH":
            raise NotFound(
                f"No {resource_type} matches the condition", error_codes.CONDITIONAL_NO_MATCH
            )
        else:
            id_ = new_id_ or new_id()
            await self._check_unused(conn, resource_type, id_)
        return await self._update_in(conn, resource_type, id_, mutate, if_match, method)

    async def delete_matching(self, criteria: SearchQuery, limit: int) -> list[StoredVersion]:
        async with self.engine.begin() as conn:
            return await self._delete_matching_in(conn, criteria, limit)

    async def _delete_matching_in(
        self, conn: AsyncConnection, criteria: SearchQuery, limit: int
    ) -> list[StoredVersion]:
        await self._lock_condition(conn, criteria)
        with answered_as_too_costly("The conditional delete's search"):
            found = await match_at_most(OnConnection(conn), criteria, limit + 1)
        if len(found) > limit:
            raise PreconditionFailed(
                f"The condition matches more than {limit} {criteria.resource_types[0]}",
                error_codes.CONDITIONAL_MULTIPLE,
            )
        deleted = []
        for match in found:
            stored_version = await self._delete_in(conn, match.resource_type, match.id, None)
            if stored_version is not None:
                deleted.append(stored_version)
        return deleted

    async def delete(
        self, resource_type: str, id_: str, if_match: int | None
    ) -> StoredVersion | None:
        async with self.engine.begin() as conn:
            return await self._delete_in(conn, resource_type, id_, if_match)

    async def history(
        self,
        resource_type: str | None,
        id_: str | None,
        since: datetime | None,
        count: int,
        cursor: int | None,
    ) -> HistoryPage:
        query = select(*VERSION_COLUMNS, V.txid).order_by(V.txid.desc()).limit(count + 1)
        if resource_type is not None:
            query = query.where(V.resource_type == resource_type)
        if id_ is not None:
            query = query.where(V.id == id_)
        if since is not None:
            query = query.where(V.last_updated >= since)
        if cursor is not None:
            query = query.where(V.txid < cursor)
        async with self.reader.connect() as conn:
            rows = (await conn.execute(query)).all()
            total = await self._instance_total(conn, resource_type, id_, since, cursor)
        more = count > 0 and len(rows) > count  # _count=0 asks for no entries and no next
        rows = rows[:count]
        return HistoryPage([stored(r) for r in rows], rows[-1].txid if more else None, total)

    async def search(
        self, query: SearchQuery, cursor: str | None, base_url: str | None = None
    ) -> SearchPage:
        with answered_as_too_costly("The search"):  # statement_timeout (FastReader)
            async with self.fast.search_pool.connection() as conn:
                statements = OnPsycopg(conn, self.engine.dialect)
                return await run_search(statements, query, cursor, base_url)

    async def limit_searches(self, conn: AsyncConnection) -> None:
        """The search time limit for the rest of ``conn``'s transaction (``time_limit``)."""
        if self.fast.search_timeout_ms:
            await conn.execute(_SET_LIMIT, {"limit": str(self.fast.search_timeout_ms)})

    async def _lock_condition(self, conn: AsyncConnection, query: SearchQuery) -> None:
        # Identical conditional writes (create, update, delete, patch) are serialised, in the
        # transaction of the write, so that two cannot both create or both act on one match;
        # the search that follows runs under the search time limit (one statement for both).
        key = zlib.crc32(f"{query.resource_types}?{sorted(query.echo)}".encode())
        if self.fast.search_timeout_ms:
            limit = str(self.fast.search_timeout_ms)
            await conn.execute(_LOCK_AND_LIMIT, {"key": key, "limit": limit})
        else:
            await conn.execute(_LOCK, {"key": key})

    async def _match_one(
        self, conn: AsyncConnection, query: SearchQuery, what: str = "If-None-Exist"
    ) -> StoredVersion | None:
        await self._lock_condition(conn, query)
        with answered_as_too_costly("The conditional write's search"):
            found = await match_at_most(OnConnection(conn), query, 2)
        if len(found) > 1:
            raise PreconditionFailed(
                f"{what} matches more than one {query.resource_types[0]}",
                error_codes.CONDITIONAL_MULTIPLE,
            )
        return found[0] if found else None

    async def _check_unused(self, conn: AsyncConnection, resource_type: str, id_: str) -> None:
        """A conditional update that matched nothing may create with the body's id, but not
        over a live resource that the condition did not match (the spec's 400)."""
        current = await self._lock(conn, resource_type, id_)
        if current is not None and not current.deleted:
            raise Invalid(
                f"{resource_type}/{id_} exists and does not match the condition",
                error_codes.CONDITIONAL_ID_IN_USE,
                ("id",),
            )

    async def _update_in(
        self,
        conn: AsyncConnection,
        resource_type: str,
        id_: str,
        mutate: Mutation,
        if_match: int | None,
        method: Method,
    ) -> WriteResult:
        current = await self._lock(conn, resource_type, id_)
        at = now()  # taken under the lock, so one resource's versions are in time order
        if current is None and not await self._insert_new(conn, resource_type, id_, at):
            current = await self._lock(conn, resource_type, id_)  # created concurrently
            at = now()
        _check_version(if_match, current.version if current else None, id_)
        body = mutate(current)
        version = current.version + 1 if current else 1
        if current is not None:
            await self._point_current(conn, resource_type, id_, version, at, deleted=False)
        written = await self._write_version(conn, resource_type, id_, version, at, method, body)
        return WriteResult(written, created=current is None)

    async def _delete_in(
        self, conn: AsyncConnection, resource_type: str, id_: str, if_match: int | None
    ) -> StoredVersion | None:
        current = await self._lock(conn, resource_type, id_)
        if current is None or current.deleted:
            return current
        _check_version(if_match, current.version, id_)
        version, at = current.version + 1, now()
        await self._point_current(conn, resource_type, id_, version, at, deleted=True)
        await conn.execute(
            insert(resource_version).values(
                resource_type=resource_type,
                id=id_,
                version_id=version,
                last_updated=at,
                method="DELETE",
                deleted=True,
                body=None,
            )
        )
        await replace_index(conn, resource_type, id_, None, self.registry)
        return StoredVersion(resource_type, id_, version, at, True, "DELETE", None)

    async def _lock(
        self, conn: AsyncConnection, resource_type: str, id_: str
    ) -> StoredVersion | None:
        # The row is locked alone, then read by a second statement. Locking the join instead
        # fails after waiting on a concurrent writer: PostgreSQL re-checks the join with the
        # updated resource row but the old version row, and returns no row at all.
        locked = select(R.version_id).where(R.resource_type == resource_type, R.id == id_)
        if (await conn.execute(locked.with_for_update())).first() is None:
            return None
        query = select(*VERSION_COLUMNS).select_from(CURRENT_JOIN)
        query = query.where(R.resource_type == resource_type, R.id == id_)
        row = (await conn.execute(query)).first()
        return stored(row) if row else None

    async def _insert_new(
        self, conn: AsyncConnection, resource_type: str, id_: str, at: datetime
    ) -> bool:
        statement = (
            pg_insert(resource)
            .values(
                resource_type=resource_type, id=id_, version_id=1, last_updated=at, deleted=False
            )
            .on_conflict_do_nothing()
            .returning(R.id)
        )
        return (await conn.execute(statement)).first() is not None

    async def _point_current(
        self,
        conn: AsyncConnection,
        resource_type: str,
        id_: str,
        version: int,
        at: datetime,
        *,
        deleted: bool,
    ) -> None:
        await conn.execute(
            update(resource)
            .where(R.resource_type == resource_type, R.id == id_)
            .values(version_id=version, last_updated=at, deleted=deleted)
        )

    async def _write_version(
        self,
        conn: AsyncConnection,
        resource_type: str,
        id_: str,
        version: int,
        at: datetime,
        method: Method,
        body: dict[str, Any],
    ) -> StoredVersion:
        document = with_meta(resource_type, id_, version, instant(at), body)
        data = fhir_json.dumps(document)
        sealed, key_id = seal_body(resource_type, id_, version, data)
        await conn.execute(
            insert(resource_version).values(
                resource_type=resource_type,
                id=id_,
                version_id=version,
                last_updated=at,
                method=method,
                deleted=False,
                body=sealed,
                body_key=key_id,
            )
        )
        fresh = version == 1
        await replace_index(conn, resource_type, id_, document, self.registry, fresh=fresh)
        return StoredVersion(resource_type, id_, version, at, False, method, data)

    async def _instance_total(
        self,
        conn: AsyncConnection,
        resource_type: str | None,
        id_: str | None,
        since: datetime | None,
        cursor: int | None,
    ) -> int | None:
        if id_ is None or cursor is not None:
            return None
        query = select(func.count()).where(V.resource_type == resource_type, V.id == id_)
        if since is not None:
            query = query.where(V.last_updated >= since)
        return int((await conn.execute(query)).scalar_one())
