"""The inbox worker: writes the messages that were answered on storing.

It claims a batch of stored rows (oldest first, ``FOR UPDATE SKIP LOCKED``, so several
workers share the inbox without taking a row twice) and writes them, up to
``per_transaction`` messages per database transaction, each in a savepoint (``batch.py``:
a message that fails is dead-lettered alone). Messages of different patients run side by
side in ``parallel`` lanes (their SQL round trips overlap); all messages of one patient go
to one lane, in the order they were received (and one worker runs at a time, under an
advisory lock, so other processes' workers wait), since a later A08 must not be overwritten
by an earlier A01. A batch holding a merge (MRG) runs in one lane, in order, as a merge
touches two patients.

A claimed row that a stop interrupts stays ``processing``: recovery at the next start
(``Hl7Processor.recover``) takes it, so no stored message is lost. A batch cut short by an
error is taken up again one message per transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict

from fhir_server.mllp.batch import write_batch
from fhir_server.mllp.inbox import InboxRow
from fhir_server.mllp.processor import Hl7Processor
from fhir_server.outage_log import OutageLog
from fhir_server.periodic import set_within

log = logging.getLogger(__name__)
_RETRY_S = 1.0


def patient_key(raw: str) -> str | None:
    """PID-3 as sent, read without parsing the message (messages with the same one stay in
    order); None for a message that names a second patient (MRG), which must run alone."""
    key = ""
    for line in raw.split("\r"):
        if line.startswith("MRG"):
            return None
        if line.startswith("PID") and not key and len(line) > 3:
            fields = line.split(line[3])
            key = fields[3][:200] if len(fields) > 3 else ""
    return key


def lanes(groups: list[list[InboxRow]], count: int) -> list[list[InboxRow]]:
    """Whole groups (one patient's rows, in order) dealt to at most ``count`` lanes, the
    largest first to the lane with the fewest rows."""
    dealt: list[list[InboxRow]] = [[] for _ in range(min(count, len(groups)))]
    for group in sorted(groups, key=len, reverse=True):
        min(dealt, key=len).extend(group)
    return dealt


class InboxWorker:
    """Process stored rows until stopped: ``await worker.run()`` in a task, ``await
    worker.stop()`` to end it after the batch under way (as ``fhir_server.periodic`` explains,
    not by cancelling the task)."""

    def __init__(
        self,
        processor: Hl7Processor,
        per_transaction: int = 20,
        parallel: int = 4,
        poll_s: float = 0.2,
        rescan_s: float = 5.0,
        sole: bool = True,
    ) -> None:
        self.processor = processor
        self.per_transaction = per_transaction
        self.batch = max(32, per_transaction * parallel)
        """Rows claimed at a time: enough for every lane's transaction."""
        self.parallel = parallel
        self.poll_s = poll_s
        self.rescan_s = rescan_s
        self.sole = sole
        """Hold the inbox's worker lock (off only where order across workers does not
        matter, as in tests beside another server)."""
        self._mark = 0
        self._scanned = 0.0
        self._held: list[InboxRow] = []
        self._idle = asyncio.Event()
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Claim and write batches until stopped, as the only worker (another process's
        worker holding the lock is waited for)."""
        if not self.sole:
            await self._loop()
            return
        async with self.processor.inbox.sole_worker(unless=self._stopping) as held:
            if held:
                await self._loop()

    async def stop(self) -> None:
        """Let the batch under way finish and end ``run`` (the caller awaits its task)."""
        self._stopping.set()
        self.processor.stored.set()  # wakes the idle wait

    async def _loop(self) -> None:
        """Claim and write batches; between them, wait for a new message or the poll."""
        outage = OutageLog(log, "HL7 v2 inbox worker")
        while not self._stopping.is_set():
            try:
                done = await self.run_once()
            except Exception:  # the database is away, say: the rows stay stored
                outage.failed("the rows stay stored")
                await set_within(self._stopping, _RETRY_S)
                continue
            outage.succeeded()
            if done:
                continue
            self._idle.set()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_s):
                    await self.processor.stored.wait()
            self.processor.stored.clear()

    async def run_once(self) -> int:
        """Claim one batch and write it; how many rows it held. A batch cut short by an
        error (the database went away) is taken up again first: its rows are still
        claimed by this worker, and those already finished are left alone."""
        retried = await self._unfinished()
        rows = retried or await self._claim()
        if not rows:
            return 0
        self._held = rows
        self._idle.clear()
        self._mark = max(self._mark, rows[-1].id)
        size = 1 if retried else self.per_transaction
        if any(patient_key(row.raw) is None for row in rows):
            await self._in_order(rows, size)
            self._held = []
            return len(rows)
        groups: dict[str | None, list[InboxRow]] = defaultdict(list)
        for row in rows:
            groups[patient_key(row.raw)].append(row)
        async with asyncio.TaskGroup() as tasks:  # an error stops the others before a retry
            for lane in lanes(list(groups.values()), self.parallel):
                tasks.create_task(self._in_order(lane, size))
        self._held = []
        return len(rows)

    async def _unfinished(self) -> list[InboxRow]:
        rows = [await self.processor.inbox.get(row.id) for row in self._held]
        self._held = [row for row in rows if row is not None and row.status == "processing"]
        return self._held

    async def _claim(self) -> list[InboxRow]:
        """Rows after the last claimed id; now and then from the start, for a row whose
        insert committed after a later one's (another process, a replay)."""
        mark = self._mark
        if time.monotonic() - self._scanned > self.rescan_s:
            mark, self._scanned = 0, time.monotonic()
        return await self.processor.inbox.claim_batch(mark, self.batch)

    async def _in_order(self, rows: list[InboxRow], size: int) -> None:
        """``rows`` in order, ``size`` per transaction."""
        for start in range(0, len(rows), size):
            await write_batch(self.processor, rows[start : start + size])

    async def idle(self) -> None:
        """Wait until a claim found nothing to do (tests, the bench)."""
        self._scanned = 0.0  # look from the start: nothing left behind
        self._idle.clear()
        self.processor.stored.set()
        await self._idle.wait()
