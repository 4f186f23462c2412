"""A background pass repeated every few seconds until it is told to stop (the audit flusher,
the data-key refresh).

It is stopped by an event it waits on between passes, never by cancelling its task: a
cancellation that arrives during a pass, inside a database driver's or pool's cleanup, can be
absorbed there (Python 3.11's ``asyncio.wait_for`` loses one that coincides with the result it
waits for), and a loop that lost it would sleep and run again while the server's shutdown
awaited it for ever, outliving its database. A pass under way when ``stop`` is called
finishes; there is none after it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from fhir_server.outage_log import OutageLog


class Periodic:
    """``run_pass`` every ``every_s`` seconds, its failures told to ``outage`` (with
    ``kept()``, what the next pass will retry) and never ending the loop."""

    def __init__(
        self,
        every_s: float,
        run_pass: Callable[[], Awaitable[object]],
        outage: OutageLog,
        kept: Callable[[], str] = str,
    ) -> None:
        self.every_s = every_s
        self.run_pass = run_pass
        self.outage = outage
        self.kept = kept
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the loop's task (once) on the running event loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        """Let a pass under way finish, run no other, and return once the task has ended."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _loop(self) -> None:
        while not await set_within(self._stopping, self.every_s):
            try:
                await self.run_pass()
            except Exception:  # the next pass retries; never end the loop
                self.outage.failed(self.kept())
            else:
                self.outage.succeeded()


async def set_within(event: asyncio.Event, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``event``; whether it is set (a loop's pause between passes
    that its stop, or a wake-up, ends early)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
    return event.is_set()
