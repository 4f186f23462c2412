"""The inbox and dead-letter tables: store first, claim, record the outcome."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from fhir_server.db.hl7_tables import hl7_dead_letter, hl7_inbox
from resources.identity import now


@dataclass(frozen=True)
class InboxRow:
    """A stored message and what became of it."""

    id: int
    status: str
    ack: str | None
    raw: str
    peer: str
    received_at: datetime


@dataclass(frozen=True)
class DeadLetter:
    """A refused or failed message, with the reason."""

    id: int
    inbox_id: int | None
    received_at: datetime
    peer: str
    reason: str
    location: str
    ack_code: str
    replayed_at: datetime | None
    replay_result: str | None
    raw: str


@dataclass(frozen=True)
class NewMessage:
    """A message to store: its key (sending facility, MSH-10) and what is kept with it."""

    sender: str
    control_id: str
    message_type: str
    raw: str
    peer: str
    status: str = "received"
    ack: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """What makes a message distinct: a resend has the same."""
        return (self.sender, self.control_id)

    def values(self, received_at: datetime) -> dict[str, object]:
        """The inbox row's columns."""
        return {
            "sender": self.sender,
            "control_id": self.control_id,
            "message_type": self.message_type,
            "received_at": received_at,
            "peer": self.peer,
            "raw": self.raw,
            "status": self.status,
            "ack": self.ack,
        }


_ROW = (
    hl7_inbox.c.id,
    hl7_inbox.c.status,
    hl7_inbox.c.ack,
    hl7_inbox.c.raw,
    hl7_inbox.c.peer,
    hl7_inbox.c.received_at,
)


# Built once and run with a list of rows: SQLAlchemy compiles it once and sends the rows as
# one multi-row INSERT ("insertmanyvalues"); a statement with the rows in its VALUES was
# compiled again for every batch (about 3 ms a batch).
_STORE = (
    pg_insert(hl7_inbox)
    .on_conflict_do_nothing(constraint="hl7_inbox_sender_control_id")
    .returning(*_ROW, hl7_inbox.c.sender, hl7_inbox.c.control_id)
)

_WORKER_LOCK = 0x4E56_4837_0001
"""The advisory lock the inbox worker holds: one writes at a time, so one patient's
messages are written in the order received, whatever the number of processes."""


class Inbox:
    """SQL on the two tables; every method is its own committed transaction, so a message
    is durable before anyone answers it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def store(
        self,
        sender: str,
        control_id: str,
        message_type: str,
        raw: str,
        peer: str,
        status: str = "received",
        ack: str | None = None,
    ) -> tuple[InboxRow, bool]:
        """Store a message unless (sender, control id) is known; returns the row and whether
        it is new. ``status="processing"`` stores it already claimed (one commit less when
        the caller processes it at once); ``ack`` is the answer given on storing it."""
        message = NewMessage(sender, control_id, message_type, raw, peer, status, ack)
        return (await self.store_many([message]))[0]

    async def store_many(self, messages: Sequence[NewMessage]) -> list[tuple[InboxRow, bool]]:
        """Store several messages in one INSERT and one commit (group commit); for each, its
        row and whether it is new. Of two copies in one batch, the first is the new one."""
        received_at = now()
        rows = [m.values(received_at) for m in messages]
        async with self.engine.begin() as conn:
            inserted = {
                (r.sender, r.control_id): InboxRow(*r[: len(_ROW)])
                for r in await conn.execute(_STORE, rows)
            }
            known = await self._known(conn, [m.key for m in messages if m.key not in inserted])
        results: list[tuple[InboxRow, bool]] = []
        first: set[tuple[str, str]] = set()
        for message in messages:
            row = inserted.get(message.key)
            new = row is not None and message.key not in first
            first.add(message.key)
            results.append((row or known[message.key], new))
        return results

    @staticmethod
    async def _known(
        conn: AsyncConnection, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], InboxRow]:
        if not keys:
            return {}
        query = select(*_ROW, hl7_inbox.c.sender, hl7_inbox.c.control_id).where(
            tuple_(hl7_inbox.c.sender, hl7_inbox.c.control_id).in_(keys)
        )
        return {
            (r.sender, r.control_id): InboxRow(*r[: len(_ROW)]) for r in await conn.execute(query)
        }

    async def find(self, sender: str, control_id: str) -> InboxRow | None:
        """The row of a sender's control id."""
        query = select(*_ROW).where(
            hl7_inbox.c.sender == sender, hl7_inbox.c.control_id == control_id
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return InboxRow(*row) if row else None

    async def get(self, id_: int) -> InboxRow | None:
        """One row by id."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(*_ROW).where(hl7_inbox.c.id == id_))).first()
        return InboxRow(*row) if row else None

    async def claim(self, id_: int, statuses: tuple[str, ...] = ("received",)) -> bool:
        """Mark a row ``processing`` if it is in one of ``statuses``; False if another
        worker has it or it is done."""
        statement = (
            update(hl7_inbox)
            .where(hl7_inbox.c.id == id_, hl7_inbox.c.status.in_(statuses))
            .values(status="processing")
            .returning(hl7_inbox.c.id)
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(statement)).first() is not None

    @asynccontextmanager
    async def sole_worker(
        self, poll_s: float = 1.0, unless: asyncio.Event | None = None
    ) -> AsyncIterator[bool]:
        """Hold the workers' advisory lock for the block, waiting for it while another
        process holds it (that one takes over if this one stops); yields whether it is held,
        ``False`` when ``unless`` was set before it could be taken."""
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            take = select(func.pg_try_advisory_lock(_WORKER_LOCK))
            held = False
            while not (unless is not None and unless.is_set()):
                held = (await conn.execute(take)).scalar_one()
                if held:
                    break
                await asyncio.sleep(poll_s)  # a lock cannot be awaited without a transaction
            try:
                yield held
            finally:
                if held:
                    await conn.execute(select(func.pg_advisory_unlock(_WORKER_LOCK)))

    async def claim_batch(self, after_id: int, limit: int) -> list[InboxRow]:
        """Claim up to ``limit`` rows ``received`` with an id above ``after_id``, oldest
        first; rows another worker holds are skipped, not waited for."""
        free = (
            select(hl7_inbox.c.id)
            .where(hl7_inbox.c.id > after_id, hl7_inbox.c.status == "received")
            .order_by(hl7_inbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(hl7_inbox)
            .where(hl7_inbox.c.id.in_(free.scalar_subquery()))
            .values(status="processing")
            .returning(*_ROW)
        )
        async with self.engine.begin() as conn:
            rows = [InboxRow(*r) for r in await conn.execute(statement)]
        return sorted(rows, key=lambda row: row.id)

    async def finish(self, id_: int, status: str, ack: str, error: str | None) -> None:
        """Record the outcome and the ACK answered."""
        async with self.engine.begin() as conn:
            await self.finish_on(conn, id_, status, ack, error)

    @staticmethod
    async def finish_on(
        conn: AsyncConnection, id_: int, status: str, ack: str, error: str | None
    ) -> None:
        """``finish`` on an open transaction (committed with the message's writes)."""
        statement = (
            update(hl7_inbox)
            .where(hl7_inbox.c.id == id_)
            .values(status=status, ack=ack, error=error, processed_at=func.clock_timestamp())
        )
        await conn.execute(statement)

    async def pending(self, statuses: tuple[str, ...] = ("received", "processing")) -> list[int]:
        """Rows stored but never finished (a stop between storing and processing)."""
        query = (
            select(hl7_inbox.c.id).where(hl7_inbox.c.status.in_(statuses)).order_by(hl7_inbox.c.id)
        )
        async with self.engine.connect() as conn:
            return [int(r[0]) for r in await conn.execute(query)]

    async def dead_letter(
        self,
        inbox_id: int | None,
        raw: str,
        peer: str,
        reason: str,
        location: str,
        ack_code: str,
    ) -> int:
        """Keep a refused or failed message with the reason."""
        async with self.engine.begin() as conn:
            return await self.dead_letter_on(conn, inbox_id, raw, peer, reason, location, ack_code)

    @staticmethod
    async def dead_letter_on(
        conn: AsyncConnection,
        inbox_id: int | None,
        raw: str,
        peer: str,
        reason: str,
        location: str,
        ack_code: str,
    ) -> int:
        """``dead_letter`` on an open transaction."""
        statement = (
            insert(hl7_dead_letter)
            .values(
                inbox_id=inbox_id,
                received_at=now(),
                peer=peer,
                raw=raw,
                reason=reason,
                location=location,
                ack_code=ack_code,
            )
            .returning(hl7_dead_letter.c.id)
        )
        return int((await conn.execute(statement)).scalar_one())

    async def dead_letters(
        self, limit: int = 100, include_replayed: bool = False, id_: int | None = None
    ) -> list[DeadLetter]:
        """The newest dead letters first (or the one with ``id_``)."""
        d = hl7_dead_letter.c
        query = select(
            d.id, d.inbox_id, d.received_at, d.peer, d.reason, d.location, d.ack_code,
            d.replayed_at, d.replay_result, d.raw,
        ).order_by(d.id.desc()).limit(limit)  # fmt: skip
        if id_ is not None:
            query = query.where(d.id == id_)
        elif not include_replayed:
            query = query.where(d.replayed_at.is_(None))
        async with self.engine.connect() as conn:
            return [DeadLetter(**row._mapping) for row in await conn.execute(query)]

    async def mark_replayed(self, id_: int, result: str) -> None:
        """Record a replay's ACK code."""
        statement = (
            update(hl7_dead_letter)
            .where(hl7_dead_letter.c.id == id_)
            .values(replayed_at=func.now(), replay_result=result)
        )
        async with self.engine.begin() as conn:
            await conn.execute(statement)

    async def reopen(self, id_: int) -> None:
        """Let a failed row be processed again (a replay); its old answer is dropped, so the
        replay's is the one a resend gets."""
        statement = (
            update(hl7_inbox)
            .where(hl7_inbox.c.id == id_, hl7_inbox.c.status == "failed")
            .values(status="received", ack=None)
        )
        async with self.engine.begin() as conn:
            await conn.execute(statement)
