"""Receiving one HL7 v2 message: store it, process it once, answer the ACK.

Original acknowledgment mode: the message is stored (committed) first, then written as FHIR
in one transaction, then answered AA, or AE with an ERR naming the segment and field; a
message we refuse (unreadable header, a type or version we do not take, a sender not
allowed) is answered AR. Refused and failed messages go to the dead letters. A message whose
sending facility and MSH-10 were seen before is answered with the ACK it got then, and
nothing is written again.

With ``ack_on_store`` (the listener's default, ``NUTRIVISION_MLLP_ACK=stored``), original
mode answers AA once the message is read, mapped (so content errors are still AE at once)
and committed to the inbox, by group commit; an ``InboxWorker`` writes it after. A failure
there marks the row failed (a resend gets AE) and adds a dead letter.

Enhanced mode (MSH-15 set): the commit ACK (CA) is sent as soon as the message is stored,
and the message is processed after; its outcome is kept on the inbox row (and in the dead
letters on failure), since we cannot open a connection back to the sender for the
application ACK.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from fhir_server.mllp.group_commit import GroupCommit
from fhir_server.mllp.inbox import Inbox, InboxRow, NewMessage
from operations.hl7v2.ack import ack
from operations.hl7v2.apply import apply_plan
from operations.hl7v2.er7 import Message, normalise, parse
from operations.hl7v2.messages import check_supported, plan_message, sender_of
from operations.hl7v2.problems import AckCode, Hl7Problem
from resources.errors import FhirError
from resources.identity import instant, now
from resources.ports import ResourceStore

log = logging.getLogger(__name__)
_WAIT_STEP_S = 0.05
_WAIT_STEPS = 200


@dataclass(frozen=True)
class Outcome:
    """What a message got: the ACK text and code, and the resources written."""

    ack: str
    code: AckCode
    written: list[str] = field(default_factory=list)
    duplicate: bool = False


def _control_id_guess(text: str) -> str:
    """MSH-10 read naively, to echo in the AR of a message whose header we cannot parse."""
    if not text.startswith("MSH") or len(text) < 4:
        return ""
    fields = text.split("\r", 1)[0].split(text[3])
    return fields[9][:20] if len(fields) > 9 and re.match(r"^[\w.-]*$", fields[9]) else ""


class Hl7Processor:
    """The inbox flow on one store; shared by the MLLP listener and ``$process-hl7v2``."""

    def __init__(
        self,
        store: ResourceStore,
        inbox: Inbox,
        allowed_senders: Collection[str] = (),
        ack_on_store: bool = False,
    ) -> None:
        self.store = store
        self.inbox = inbox
        self.allowed_senders = frozenset(allowed_senders)
        self.ack_on_store = ack_on_store
        self.stored = asyncio.Event()
        """Set when a message is stored for later processing (the worker waits on it)."""
        self.commit = GroupCommit(inbox)
        self._tasks: set[asyncio.Task[Outcome]] = set()

    async def receive(
        self,
        raw: bytes | str,
        peer: str = "",
        store: ResourceStore | None = None,
        at_once: bool = False,
    ) -> Outcome:
        """Store, process and acknowledge one message; ``store`` (the caller's view, for
        ``$process-hl7v2``) replaces the processor's own for the FHIR writes, and, as
        ``at_once``, processes it before answering even with ``ack_on_store``."""
        text = normalise(raw)
        message: Message | None = None
        try:
            message = parse(text)
            self._check_sender(message)
            check_supported(message)
        except Hl7Problem as problem:
            code: AckCode = problem.ack
            if message is not None and self._enhanced(message):
                code = "CR"
            await self.inbox.dead_letter(None, text, peer, problem.message, problem.location, code)
            answer = ack(message, code, problem, _control_id_guess(text))
            return Outcome(answer, code)
        enhanced = self._enhanced(message)
        fast = self.ack_on_store and store is None and not at_once and not enhanced
        if fast and (answered := await self._accept(message, peer)) is not None:
            return answered
        row, new = await self.inbox.store(
            sender_of(message),
            message.control_id,
            f"{message.message_code}^{message.trigger}",
            message.text,
            peer,
            "received" if enhanced else "processing",
        )
        if enhanced:
            if new or row.status == "received":  # new, or reopened for a replay
                if self.ack_on_store and store is None and not at_once:
                    self.stored.set()  # the worker writes it
                else:
                    self._later(row, message, store)
            return Outcome(ack(message, "CA"), "CA", duplicate=not new)
        if not new:
            return await self._answer_again(row, message, store)
        return await self._run(row, message, store)

    async def _accept(self, message: Message, peer: str) -> Outcome | None:
        """Store a mappable message and answer AA; None for one that does not map (the
        caller processes it at once, to answer AE)."""
        try:
            plan_message(message, instant(now()))
        except Hl7Problem:
            return None
        answer = ack(message, "AA")
        kind = f"{message.message_code}^{message.trigger}"
        new_message = NewMessage(
            sender_of(message), message.control_id, kind, message.text, peer, ack=answer
        )
        row, new = await self.commit.store(new_message)
        if new:
            self.stored.set()
            return Outcome(answer, "AA")
        return await self._answer_again(row, message, None)

    @staticmethod
    def _enhanced(message: Message) -> bool:
        return message.msh.get(15).upper() in ("AL", "SU", "ER", "NE")

    def _later(self, row: InboxRow, message: Message, store: ResourceStore | None) -> None:
        task = asyncio.create_task(self.process(row, message, store=store))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for messages accepted in enhanced mode and still being processed."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _check_sender(self, message: Message) -> None:
        if not self.allowed_senders:
            return
        names = {message.msh.get(3), message.msh.get(4), sender_of(message)}
        if not names & self.allowed_senders:
            raise Hl7Problem(
                f"Sender {message.msh.get(3)}/{message.msh.get(4)} is not allowed",
                "MSH",
                4,
                "AR",
                "207",
            )

    async def _answer_again(
        self, row: InboxRow, message: Message, store: ResourceStore | None
    ) -> Outcome:
        for _ in range(_WAIT_STEPS):  # the first copy may still be in flight
            if row.ack is not None and row.status in ("processed", "failed"):
                code: AckCode = "AA" if row.status == "processed" else "AE"
                return Outcome(row.ack, code, duplicate=True)
            if row.status == "received" and row.ack is None:  # stored, never answered
                return await self.process(row, message, store=store)
            if row.ack is not None:  # answered AA on storing, not yet written
                return Outcome(row.ack, "AA", duplicate=True)
            await asyncio.sleep(_WAIT_STEP_S)
            row = await self.inbox.get(row.id) or row
        return Outcome(ack(message, "AE", _busy()), "AE", duplicate=True)

    async def process(
        self,
        row: InboxRow,
        message: Message | None = None,
        stale: bool = False,
        store: ResourceStore | None = None,
    ) -> Outcome:
        """Process a stored row (claimed first, so one worker does it; ``stale`` also takes
        one left ``processing`` by a stopped process); the outcome is recorded on the row,
        and a failure also goes to the dead letters."""
        statuses = ("received", "processing") if stale else ("received",)
        if not await self.inbox.claim(row.id, statuses):
            fresh = await self.inbox.get(row.id)
            code: AckCode = "AA" if fresh and fresh.status == "processed" else "AE"
            return Outcome(fresh.ack if fresh and fresh.ack else "", code, duplicate=True)
        return await self._run(row, message, store)

    async def run_claimed(self, row: InboxRow) -> Outcome:
        """Write a row the caller has claimed (the inbox worker), recording the outcome."""
        return await self._run(row, None)

    async def _run(
        self, row: InboxRow, message: Message | None, store: ResourceStore | None = None
    ) -> Outcome:
        """Map and write a claimed row, and record the outcome."""
        try:
            message = message or parse(row.raw)
            plan = plan_message(message, instant(row.received_at))
            async with (store or self.store).transaction() as tx:
                written = await apply_plan(tx, plan)
        except Exception as error:  # a bug must not lose the message: keep it, answer AE
            return await self._failed(row, message, failure(error, row.id))
        # A row answered AA when it was stored keeps that ACK: a resend gets it byte for byte
        answer = row.ack if row.ack is not None else ack(message, "AA")
        await self.inbox.finish(row.id, "processed", answer, None)
        return Outcome(answer, "AA", written)

    async def _failed(self, row: InboxRow, message: Message | None, problem: Hl7Problem) -> Outcome:
        answer = failure_ack(row, message, problem)
        await self.inbox.finish(row.id, "failed", answer, f"{problem.location}: {problem}")
        await self.inbox.dead_letter(
            row.id, row.raw, row.peer, problem.message, problem.location, problem.ack
        )
        return Outcome(answer, problem.ack)

    async def recover(self, claimed_only: bool = False) -> int:
        """Process every message stored but not finished (after a stop); returns how many.
        ``claimed_only``: only those a stopped process had claimed (an inbox worker takes
        the others, so a long backlog does not keep the listener closed)."""
        count = 0
        statuses = ("processing",) if claimed_only else ("received", "processing")
        for id_ in await self.inbox.pending(statuses):
            row = await self.inbox.get(id_)
            if row is not None:
                await self.process(row, stale=True)
                count += 1
        return count

    async def replay(self, dead_letter_id: int) -> Outcome | None:
        """Receive a dead letter again (after the cause was fixed); None if unknown."""
        found = await self.inbox.dead_letters(1, True, dead_letter_id)
        if not found:
            return None
        letter = found[0]
        if letter.inbox_id is not None:
            await self.inbox.reopen(letter.inbox_id)
        outcome = await self.receive(letter.raw, letter.peer, at_once=True)
        await self.drain()  # an enhanced-mode message is written after its CA
        await self.inbox.mark_replayed(dead_letter_id, outcome.code)
        return outcome


def failure(error: Exception, row_id: int) -> Hl7Problem:
    """What a message that failed while written is answered and dead-lettered with."""
    if isinstance(error, Hl7Problem):
        return error
    if isinstance(error, FhirError):
        return Hl7Problem(f"Rejected by the FHIR store: {error}", "MSH", 9, "AE", "207")
    log.error("HL7 v2 message %s failed", row_id, exc_info=error)
    return Hl7Problem(f"Internal error: {type(error).__name__}", "MSH", 0, "AE")


def failure_ack(row: InboxRow, message: Message | None, problem: Hl7Problem) -> str:
    """The ACK (AE or AR, with the ERR) of a stored message that failed."""
    return ack(message, problem.ack, problem, _control_id_guess(row.raw))


def _busy() -> Hl7Problem:
    return Hl7Problem("The first copy of this message is still being processed", "MSH", 10)
