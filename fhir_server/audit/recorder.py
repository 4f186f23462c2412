"""Where audit rows go: a bounded in-process queue flushed in batches by a background task.

Reads must not wait for an INSERT, so their events are queued and written in one statement
per batch every ``audit_flush_interval_s``, already sealed into the chain (after the rows
that writes committed in the meantime). A full queue makes
the request that finds it full flush it (back-pressure, never a dropped event). Shutdown
flushes what is queued. What is lost: on a crash (kill -9, power loss) the events of the
last flush interval (0.5 s by default) that were not yet written, all of them reads or
refused requests: no data changed with them. Writes are recorded in their own transaction
(``write_hook``) and the break-glass events synchronously, so neither is ever lost.
"""

from __future__ import annotations

import asyncio
import logging
from functools import cache
from typing import Any

import orjson
from sqlalchemy import Insert, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from fhir_server.audit.chain import append_sealed
from fhir_server.db.audit_tables import audit_event
from fhir_server.db.json_rows import json_rows
from fhir_server.outage_log import OutageLog
from fhir_server.periodic import Periodic

log = logging.getLogger(__name__)


_COLUMNS: tuple[str, ...] = ("id", "recorded", "action", "subtype", "outcome", "priority")
_COLUMNS += ("agents", "patient", "entities", "event")


@cache
def _many() -> Insert:
    """Many unsealed rows in one statement, read from one JSON array (a batch of creates)."""
    source = json_rows("rows", audit_event, _COLUMNS)
    return insert(audit_event).from_select(_COLUMNS, select(*(source.c[n] for n in _COLUMNS)))


async def insert_rows(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Insert unsealed rows on this connection (in the caller's transaction): one statement
    however many rows."""
    if len(rows) > 1:
        await conn.execute(_many(), {"rows": orjson.dumps(rows).decode()})
    elif rows:
        await conn.execute(insert(audit_event), rows)


class AuditRecorder:
    """The queue and its flusher for one process."""

    def __init__(self, engine: AsyncEngine, max_queued: int, interval_s: float) -> None:
        self.engine = engine
        self.max_queued = max_queued
        self._queue: list[dict[str, Any]] = []
        self._lock = asyncio.Lock()
        self.outage = OutageLog(log, "audit flush")
        """The flusher's failed passes (logged once per outage)."""
        self._flusher = Periodic(interval_s, self.flush, self.outage, self._kept)

    def start(self) -> None:
        """Start the background flusher (once)."""
        self._flusher.start()

    async def record(self, row: dict[str, Any]) -> None:
        """Queue a row; flush first when the queue is full."""
        if len(self._queue) >= self.max_queued:
            await self.flush()
        self._queue.append(row)

    async def write_now(self, row: dict[str, Any]) -> None:
        """Write a row, sealed, before returning (break-glass events)."""
        async with self.engine.begin() as conn:
            await append_sealed(conn, [row])

    async def flush(self) -> None:
        """Seal the committed rows of writes, then append every queued row, sealed, in one
        transaction."""
        async with self._lock:
            rows, self._queue = self._queue, []
            try:
                async with self.engine.begin() as conn:
                    await append_sealed(conn, rows)
            except Exception:
                self._queue = rows + self._queue  # kept for the next pass
                raise

    def _kept(self) -> str:
        return f"{len(self._queue)} events kept queued"

    async def close(self) -> None:
        """Stop the flusher (after a pass under way) and write what is queued."""
        await self._flusher.stop()
        await self.flush()
