"""The job table as a queue: submission and look-up for requests, claiming for runners.

A runner claims the oldest queued job, or a running one whose owner has not sent a heartbeat
for ``stale_after`` (its process died), with ``FOR UPDATE SKIP LOCKED``: several server
processes claim concurrently without taking the same job twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from fhir_server.db.job_tables import job
from resources.identity import new_id, now
from resources.jobs import JobInfo

J = job.c
ACTIVE = ("queued", "running")


def job_info(row: Row[Any]) -> JobInfo:
    """A job row as a ``JobInfo``."""
    return JobInfo(
        id=row.id,
        kind=row.kind,
        status=row.status,
        params=row.params,
        created_at=row.created_at,
        progress=row.progress,
        result=row.result,
        error=row.error,
        finished_at=row.finished_at,
    )


class PostgresJobQueue:
    """Jobs in the ``job`` table; ``on_submit`` wakes this process's runner."""

    def __init__(self, engine: AsyncEngine, on_submit: Callable[[], None] | None = None) -> None:
        self.engine = engine
        self._on_submit = on_submit

    async def submit(self, kind: str, params: dict[str, Any]) -> JobInfo:
        """Queue a job of ``kind`` with ``params``."""
        values = {
            "id": new_id(),
            "kind": kind,
            "status": "queued",
            "params": params,
            "attempts": 0,
            "created_at": now(),
        }
        async with self.engine.begin() as conn:
            row = (await conn.execute(job.insert().values(values).returning(job))).one()
        if self._on_submit is not None:
            self._on_submit()
        return job_info(row)

    async def get(self, job_id: str) -> JobInfo | None:
        """The job, or None."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(job).where(J.id == job_id))).one_or_none()
        return None if row is None else job_info(row)

    async def cancel(self, job_id: str) -> JobInfo | None:
        """Mark a job cancelled: a running one stops at its next checkpoint, a finished one's
        result is withdrawn (its files are the caller's to delete)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(job)
                .where(J.id == job_id, J.status != "cancelled")
                .values(status="cancelled", finished_at=func.coalesce(J.finished_at, now()))
            )
            row = (await conn.execute(select(job).where(J.id == job_id))).one_or_none()
        return None if row is None else job_info(row)

    async def claim(
        self, kinds: tuple[str, ...], owner: str, stale_after: timedelta
    ) -> Row[Any] | None:
        """Take the oldest claimable job of ``kinds`` for ``owner``, or None."""
        moment = now()
        claimable = (
            select(J.id)
            .where(
                J.kind.in_(kinds),
                or_(
                    J.status == "queued",
                    and_(J.status == "running", J.heartbeat_at < moment - stale_after),
                ),
            )
            .order_by(J.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        statement = (
            update(job)
            .where(J.id == claimable)
            .values(
                status="running",
                owner=owner,
                attempts=J.attempts + 1,
                heartbeat_at=moment,
                started_at=moment,
            )
            .returning(job)
        )
        async with self.engine.begin() as conn:
            row: Row[Any] | None = (await conn.execute(statement)).one_or_none()
        return row

    async def checkpoint(
        self, job_id: str, owner: str, state: dict[str, Any] | None, progress: str | None
    ) -> bool:
        """Save the handler's state and progress; False when the job is no longer this
        owner's to run (cancelled, or claimed by another process after a stall)."""
        values: dict[str, Any] = {"heartbeat_at": now()}
        if state is not None:
            values["state"] = state
        if progress is not None:
            values["progress"] = progress
        statement = (
            update(job)
            .where(J.id == job_id, J.owner == owner, J.status == "running")
            .values(values)
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(statement)).rowcount == 1

    async def finish(self, job_id: str, owner: str, result: dict[str, Any]) -> bool:
        """Record the result: the job is done (False when it was cancelled meanwhile)."""
        return await self._end(job_id, owner, status="done", result=result, progress="done")

    async def fail(self, job_id: str, owner: str, error: str) -> bool:
        """Record a failure the handler could not get past."""
        return await self._end(job_id, owner, status="failed", error=error)

    async def release(self, job_id: str, owner: str, *, started: bool = True) -> None:
        """Put a running job back in the queue (its process is stopping): the next runner
        resumes it from its last checkpoint. A claim given back before its handler
        ``started`` does not count as an attempt."""
        values: dict[str, Any] = {"status": "queued", "owner": None}
        if not started:
            values["attempts"] = J.attempts - 1
        statement = (
            update(job)
            .where(J.id == job_id, J.owner == owner, J.status == "running")
            .values(values)
        )
        async with self.engine.begin() as conn:
            await conn.execute(statement)

    async def _end(self, job_id: str, owner: str, **values: Any) -> bool:
        statement = (
            update(job)
            .where(J.id == job_id, J.owner == owner, J.status == "running")
            .values(finished_at=now(), **values)
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(statement)).rowcount == 1
