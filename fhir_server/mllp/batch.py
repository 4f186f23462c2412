"""Writing several claimed inbox rows in one database transaction, each in a savepoint.

One message per store transaction, then its row marked processed in another, cost two
commits per message. Here the rows of a batch (``NUTRIVISION_MLLP_WORKER_BATCH``) share one
transaction, in their order: each message's FHIR writes and its row's outcome go in a
savepoint of their own. A message that fails is rolled back to its savepoint alone; its row
is marked failed and its dead letter (with the reason) written in the same transaction, and
the messages before and after it are kept.

Nothing is committed before the end of the batch, so a stop (a killed worker, the database
going away) leaves every row of the batch claimed and none of its writes: recovery, or the
worker's next turn, writes them again. A message's writes and its row's ``processed`` commit
together, so a written message is never written again. An error that says nothing about the
message (a deadlock with another writer, a lost connection) ends the whole batch the same
way instead of dead-lettering the message it happened in.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from fhir_server.mllp.inbox import InboxRow
from fhir_server.mllp.processor import Hl7Processor, failure, failure_ack
from fhir_server.store.resource_store import PostgresResourceStore
from fhir_server.store.unit_of_work import StoreTransaction as UnitOfWork
from fhir_server.store.write_hooks import HookedStore, HookedTransaction
from operations.hl7v2.ack import ack
from operations.hl7v2.apply import apply_plan
from operations.hl7v2.er7 import Message, parse
from operations.hl7v2.messages import plan_message
from resources.identity import instant
from resources.ports import StoreTransaction

_TRANSIENT = frozenset({"40001", "40P01", "55P03", "57014"})
"""Serialization failure, deadlock, lock not available, statement cancelled: the message is
not at fault, and is written again with its batch."""


def _engine(store: object) -> AsyncEngine | None:
    """The engine of a store whose transactions can share a connection; None for another
    (the caller writes one message per transaction then)."""
    return store.engine if isinstance(store, HookedStore | PostgresResourceStore) else None


def _on(store: object, conn: AsyncConnection) -> StoreTransaction:
    """The processor's store on ``conn``, its write hooks included. The HL7 v2 mapping
    writes no SearchParameter, so a ``LiveStore`` (a ``HookedStore``) has nothing to refresh
    after the commit."""
    if isinstance(store, HookedStore):
        return HookedTransaction(UnitOfWork(store.inner, conn), store.hooks)
    assert isinstance(store, PostgresResourceStore)  # as ``_engine`` found
    return UnitOfWork(store, conn)


def _transient(error: Exception) -> bool:
    if not isinstance(error, DBAPIError):
        return False
    state = getattr(error.orig, "sqlstate", None)
    return error.connection_invalidated or state in _TRANSIENT


async def write_batch(flow: Hl7Processor, rows: Sequence[InboxRow]) -> None:
    """Write claimed ``rows`` in order, in one transaction (one per row for a store that
    cannot share its connection, or a single row)."""
    engine = _engine(flow.store)
    if len(rows) < 2 or engine is None:
        for row in rows:
            await flow.run_claimed(row)
        return
    async with engine.begin() as conn:
        tx = _on(flow.store, conn)
        for row in rows:
            await _write_one(flow, conn, tx, row)


async def _write_one(
    flow: Hl7Processor, conn: AsyncConnection, tx: StoreTransaction, row: InboxRow
) -> None:
    message: Message | None = None
    try:
        async with conn.begin_nested():
            message = parse(row.raw)
            await apply_plan(tx, plan_message(message, instant(row.received_at)))
            # A row answered AA on storing keeps that ACK: a resend gets it byte for byte
            answer = row.ack if row.ack is not None else ack(message, "AA")
            await flow.inbox.finish_on(conn, row.id, "processed", answer, None)
        return
    except Exception as error:  # a bug must not lose the message: keep it, answer AE
        if _transient(error):
            raise
        problem = failure(error, row.id)
    answer = failure_ack(row, message, problem)
    await flow.inbox.finish_on(conn, row.id, "failed", answer, f"{problem.location}: {problem}")
    await flow.inbox.dead_letter_on(
        conn, row.id, row.raw, row.peer, problem.message, problem.location, problem.ack
    )
