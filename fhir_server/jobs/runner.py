"""The background runner each server process starts: claim jobs, run handlers, keep them alive.

Up to ``concurrency`` jobs run at once as asyncio tasks on the server's event loop (handlers
stream from the database and write files; CPU-heavy handlers should hand work to a thread).
A heartbeat per running job marks it alive; a job whose process dies is claimed again once
its heartbeat is ``stale_after`` old and resumes from its last checkpoint. Stopping puts
running jobs back in the queue at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from fhir_server.jobs.context import Handler, JobContext, JobStopped
from fhir_server.jobs.queue import PostgresJobQueue
from fhir_server.outage_log import OutageLog
from fhir_server.periodic import set_within
from resources.errors import FhirError
from resources.identity import new_id

log = logging.getLogger(__name__)


class JobRunner:
    """Runs the jobs of the kinds in ``handlers``."""

    def __init__(
        self,
        queue: PostgresJobQueue,
        handlers: Mapping[str, Handler],
        services: Mapping[str, Any],
        *,
        concurrency: int = 2,
        poll_seconds: float = 2.0,
        stale_after: timedelta = timedelta(seconds=30),
    ) -> None:
        self.queue = queue
        self.handlers = dict(handlers)
        self.services = services
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.stale_after = stale_after
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{new_id()[:8]}"
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._running: dict[str, tuple[asyncio.Task[None], JobContext]] = {}

    def wake(self) -> None:
        """Look for work now (a job was just submitted in this process)."""
        self._wake.set()

    async def start(self) -> None:
        """Start claiming jobs in the background."""
        self._loop_task = asyncio.create_task(self._loop(), name="job-runner")

    async def stop(self) -> None:
        """Stop claiming; interrupt running jobs and put them back in the queue."""
        self._stopping.set()
        self._wake.set()
        for task, ctx in list(self._running.values()):
            ctx.stopping.set()
            task.cancel()
        tasks = [task for task, _ in self._running.values()]
        if self._loop_task is not None:
            tasks.append(self._loop_task)
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _loop(self) -> None:
        outage = OutageLog(log, "job runner: claiming")
        while not self._stopping.is_set():
            try:
                await self._claim_all()
            except Exception:  # the database may be briefly away: try again next round
                outage.failed()
            else:
                outage.succeeded()
            await set_within(self._wake, self.poll_seconds)
            self._wake.clear()

    async def _claim_all(self) -> None:
        kinds = tuple(self.handlers)
        while len(self._running) < self.concurrency and not self._stopping.is_set():
            row = await self.queue.claim(kinds, self.owner, self.stale_after)
            if row is None:
                return
            if self._stopping.is_set():
                # ``stop`` came while the claim was in flight (it may even have claimed the
                # job ``stop`` just released): give it back rather than start it.
                await self.queue.release(row.id, self.owner, started=False)
                return
            ctx = JobContext(
                id=row.id,
                kind=row.kind,
                params=row.params,
                state=row.state,
                attempt=row.attempts,
                services=self.services,
                queue=self.queue,
                owner=self.owner,
            )
            task = asyncio.create_task(self._run(ctx), name=f"job-{row.id}")
            self._running[row.id] = (task, ctx)

    async def _run(self, ctx: JobContext) -> None:
        beat = asyncio.create_task(self._heartbeat(ctx))
        try:
            result = await self.handlers[ctx.kind](ctx)
            await self.queue.finish(ctx.id, self.owner, result)
        except JobStopped:
            if self._stopping.is_set():
                await self._release(ctx.id)
        except asyncio.CancelledError:
            await self._release(ctx.id)
            raise
        except FhirError as error:
            await self.queue.fail(ctx.id, self.owner, error.message)
        except Exception as error:
            log.exception("job %s (%s) failed", ctx.id, ctx.kind)
            await self.queue.fail(ctx.id, self.owner, f"{type(error).__name__}: {error}")
        finally:
            beat.cancel()
            self._running.pop(ctx.id, None)
            self._wake.set()

    async def _release(self, job_id: str) -> None:
        """Put the job back in the queue, to the end even when this task is cancelled meanwhile
        (``stop`` both tells the handler and cancels it: the cancellation may land here)."""
        release = asyncio.ensure_future(self.queue.release(job_id, self.owner))
        try:
            await asyncio.shield(release)
        except asyncio.CancelledError:
            await release
            raise

    async def _heartbeat(self, ctx: JobContext) -> None:
        """Keep the job's claim fresh between the handler's own checkpoints."""
        interval = max(self.stale_after.total_seconds() / 3, 0.2)
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):
                if not await self.queue.checkpoint(ctx.id, self.owner, None, None):
                    ctx.stopping.set()
