"""Group commit for the inbox: messages arriving together are stored by one INSERT and one
commit.

An ACK may be sent once its message is committed, so the commit is the ACK's cost. With
many connections, each waiting for its own commit, the server would spend its time on
round trips and WAL flushes; instead the first message waits for nothing, and the messages
that arrive while a commit is in flight are stored together by the next one (batches grow
with the load, and a lone message goes at once).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fhir_server.mllp.inbox import Inbox, InboxRow, NewMessage

_MAX_BATCH = 64


@dataclass
class _Waiting:
    message: NewMessage
    done: asyncio.Future[tuple[InboxRow, bool]]


class GroupCommit:
    """Store messages through ``inbox.store_many``, batching the concurrent ones."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self._queue: list[_Waiting] = []
        self._flusher: asyncio.Task[None] | None = None

    async def store(self, message: NewMessage) -> tuple[InboxRow, bool]:
        """Store one message (unless known); returns its row and whether it is new, once
        the row is committed."""
        done: asyncio.Future[tuple[InboxRow, bool]] = asyncio.get_running_loop().create_future()
        self._queue.append(_Waiting(message, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await done

    async def _flush(self) -> None:
        """Commit batches until nobody waits (those queued meanwhile go in the next one)."""
        while self._queue:
            batch, self._queue = self._queue[:_MAX_BATCH], self._queue[_MAX_BATCH:]
            try:
                results = await self.inbox.store_many([w.message for w in batch])
            except Exception as error:  # each waiter gets the error: no ACK, a resend
                for waiting in batch:
                    if not waiting.done.done():
                        waiting.done.set_exception(error)
                continue
            for waiting, result in zip(batch, results, strict=True):
                if not waiting.done.done():
                    waiting.done.set_result(result)
