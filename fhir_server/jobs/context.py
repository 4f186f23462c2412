"""What a job handler works with, and how it stops."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fhir_server.jobs.queue import PostgresJobQueue


class JobStopped(Exception):
    """The job must stop now: it was cancelled, or this process is stopping (then another
    run resumes it from its last checkpoint)."""


@dataclass
class JobContext:
    """One run of one job.

    ``state`` is the last ``checkpoint`` of an earlier run (None on the first), so a handler
    resumes where a killed process left off. ``services`` holds what the server offers
    handlers: ``engine`` (AsyncEngine), ``settings``, ``registry`` (search registry).
    """

    id: str
    kind: str
    params: dict[str, Any]
    state: dict[str, Any] | None
    attempt: int
    services: Mapping[str, Any]
    queue: PostgresJobQueue
    owner: str
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def checkpoint(
        self, state: dict[str, Any] | None = None, progress: str | None = None
    ) -> None:
        """Save ``state`` (JSON) and a progress line; raises ``JobStopped`` when the job was
        cancelled or the process is stopping. Call it between units of work."""
        kept = await self.queue.checkpoint(self.id, self.owner, state, progress)
        if not kept or self.stopping.is_set():
            raise JobStopped(self.id)


Handler = Callable[[JobContext], Awaitable[dict[str, Any]]]
"""A job kind's work: returns the result JSON stored on the job when done."""
