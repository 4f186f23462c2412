"""``ResourceStore`` on PostgreSQL: one row per resource, one row per version.

Every write is one transaction holding the resource's row lock, so concurrent updates of
one resource are serialised: each sees the version the previous one wrote, and the primary
key on (type, id, version) makes a lost or duplicated version impossible.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from fhir_server.db.schema import resource, resource_version, search_token
from fhir_server.store.criteria import compile_criteria
from fhir_server.store.token_index import identifier_tokens
from resources import error_codes, fhir_json
from resources.errors import PreconditionFailed
from resources.identity import instant, new_id, now
from resources.ports import Criteria, Mutation
from resources.stored import HistoryPage, Method, StoredVersion, WriteResult

_V = resource_version.c
_R = resource.c
_VERSION_COLUMNS = (
    _V.resource_type,
    _V.id,
    _V.version_id,
    _V.last_updated,
    _V.deleted,
    _V.method,
    _V.body,
)
AnyRow = Row[*tuple[Any, ...]]
_CURRENT_JOIN = resource.join(
    resource_version,
    and_(
        _V.resource_type == _R.resource_type,
        _V.id == _R.id,
        _V.version_id == _R.version_id,
    ),
)


def _stored(row: AnyRow) -> StoredVersion:
    return StoredVersion(
        resource_type=row.resource_type,
        id=row.id,
        version=row.version_id,
        last_updated=row.last_updated.astimezone(UTC),
        deleted=row.deleted,
        method=row.method,
        body=row.body,
    )


def _with_meta(
    resource_type: str, id_: str, version: int, at: datetime, body: dict[str, Any]
) -> bytes:
    meta = dict(body.get("meta") or {})
    meta["versionId"] = str(version)
    meta["lastUpdated"] = instant(at)
    rest = {k: v for k, v in body.items() if k not in ("resourceType", "id", "meta")}
    return fhir_json.dumps({"resourceType": resource_type, "id": id_, "meta": meta, **rest})


def _check_version(if_match: int | None, current: int | None, id_: str) -> None:
    if if_match is not None and if_match != current:
        raise PreconditionFailed(
            f"Version mismatch for {id_}: If-Match {if_match}, current {current}",
            error_codes.VERSION_CONFLICT,
        )


class PostgresResourceStore:
    """The ``ResourceStore`` port on an async SQLAlchemy engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def read(self, resource_type: str, id_: str) -> StoredVersion | None:
        query = select(*_VERSION_COLUMNS).select_from(_CURRENT_JOIN)
        query = query.where(_R.resource_type == resource_type, _R.id == id_)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _stored(row) if row else None

    async def vread(self, resource_type: str, id_: str, version: int) -> StoredVersion | None:
        query = select(*_VERSION_COLUMNS).where(
            _V.resource_type == resource_type, _V.id == id_, _V.version_id == version
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _stored(row) if row else None

    async def create(
        self, resource_type: str, body: dict[str, Any], if_none_exist: Criteria | None
    ) -> WriteResult:
        async with self.engine.begin() as conn:
            if if_none_exist is not None:
                existing = await self._match_one(conn, resource_type, if_none_exist)
                if existing is not None:
                    return WriteResult(existing, created=False)
            id_ = new_id()
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
            stored = await self._write_version(conn, resource_type, id_, 1, at, "POST", body)
        return WriteResult(stored, created=True)

    async def update(
        self,
        resource_type: str,
        id_: str,
        mutate: Mutation,
        if_match: int | None,
        method: Method,
    ) -> WriteResult:
        async with self.engine.begin() as conn:
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
            stored = await self._write_version(conn, resource_type, id_, version, at, method, body)
        return WriteResult(stored, created=current is None)

    async def delete(
        self, resource_type: str, id_: str, if_match: int | None
    ) -> StoredVersion | None:
        async with self.engine.begin() as conn:
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
            await self._replace_tokens(conn, resource_type, id_, {})
        return StoredVersion(resource_type, id_, version, at, True, "DELETE", None)

    async def history(
        self,
        resource_type: str | None,
        id_: str | None,
        since: datetime | None,
        count: int,
        cursor: int | None,
    ) -> HistoryPage:
        query = select(*_VERSION_COLUMNS, _V.txid).order_by(_V.txid.desc()).limit(count + 1)
        if resource_type is not None:
            query = query.where(_V.resource_type == resource_type)
        if id_ is not None:
            query = query.where(_V.id == id_)
        if since is not None:
            query = query.where(_V.last_updated >= since)
        if cursor is not None:
            query = query.where(_V.txid < cursor)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            total = await self._instance_total(conn, resource_type, id_, since, cursor)
        more = count > 0 and len(rows) > count  # _count=0 asks for no entries and no next
        rows = rows[:count]
        return HistoryPage([_stored(r) for r in rows], rows[-1].txid if more else None, total)

    async def search(
        self, resource_type: str, criteria: Criteria, count: int, cursor: str | None
    ) -> tuple[list[StoredVersion], str | None]:
        async with self.engine.connect() as conn:
            rows = await self._search(conn, resource_type, criteria, count + 1, cursor)
        more = count > 0 and len(rows) > count  # _count=0 asks for no entries and no next
        rows = rows[:count]
        return [_stored(r) for r in rows], rows[-1].id if more else None

    async def _search(
        self,
        conn: AsyncConnection,
        resource_type: str,
        criteria: Criteria,
        limit: int,
        cursor: str | None,
    ) -> list[AnyRow]:
        query = (
            select(*_VERSION_COLUMNS)
            .select_from(_CURRENT_JOIN)
            .where(_R.resource_type == resource_type, ~_R.deleted, compile_criteria(criteria))
            .order_by(_R.id)
            .limit(limit)
        )
        if cursor is not None:
            query = query.where(_R.id > cursor)
        return list((await conn.execute(query)).all())

    async def _match_one(
        self, conn: AsyncConnection, resource_type: str, criteria: Criteria
    ) -> StoredVersion | None:
        # Identical conditional creates are serialised so that two cannot both create.
        key = zlib.crc32(f"{resource_type}?{sorted(criteria)}".encode())
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        rows = await self._search(conn, resource_type, criteria, 2, None)
        if len(rows) > 1:
            raise PreconditionFailed(
                f"If-None-Exist matches more than one {resource_type}",
                error_codes.CONDITIONAL_MULTIPLE,
            )
        return _stored(rows[0]) if rows else None

    async def _lock(
        self, conn: AsyncConnection, resource_type: str, id_: str
    ) -> StoredVersion | None:
        # The row is locked alone, then read by a second statement. Locking the join instead
        # fails after waiting on a concurrent writer: PostgreSQL re-checks the join with the
        # updated resource row but the old version row, and returns no row at all.
        locked = select(_R.version_id).where(_R.resource_type == resource_type, _R.id == id_)
        if (await conn.execute(locked.with_for_update())).first() is None:
            return None
        query = select(*_VERSION_COLUMNS).select_from(_CURRENT_JOIN)
        query = query.where(_R.resource_type == resource_type, _R.id == id_)
        row = (await conn.execute(query)).first()
        return _stored(row) if row else None

    async def _insert_new(
        self, conn: AsyncConnection, resource_type: str, id_: str, at: datetime
    ) -> bool:
        statement = (
            pg_insert(resource)
            .values(
                resource_type=resource_type, id=id_, version_id=1, last_updated=at, deleted=False
            )
            .on_conflict_do_nothing()
            .returning(_R.id)
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
            .where(_R.resource_type == resource_type, _R.id == id_)
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
        data = _with_meta(resource_type, id_, version, at, body)
        await conn.execute(
            insert(resource_version).values(
                resource_type=resource_type,
                id=id_,
                version_id=version,
                last_updated=at,
                method=method,
                deleted=False,
                body=data,
            )
        )
        await self._replace_tokens(conn, resource_type, id_, body, fresh=version == 1)
        return StoredVersion(resource_type, id_, version, at, False, method, data)

    async def _replace_tokens(
        self,
        conn: AsyncConnection,
        resource_type: str,
        id_: str,
        body: dict[str, Any],
        *,
        fresh: bool = False,
    ) -> None:
        if not fresh:
            await conn.execute(
                delete(search_token).where(
                    search_token.c.resource_type == resource_type, search_token.c.resource_id == id_
                )
            )
        rows = [
            {"resource_type": resource_type, "resource_id": id_, "param": p, "system": s, "code": c}
            for p, s, c in identifier_tokens(body)
        ]
        if rows:
            await conn.execute(insert(search_token), rows)

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
        query = select(func.count()).where(_V.resource_type == resource_type, _V.id == id_)
        if since is not None:
            query = query.where(_V.last_updated >= since)
        return int((await conn.execute(query)).scalar_one())
