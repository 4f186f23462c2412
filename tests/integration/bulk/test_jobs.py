"""The job runner on its own (``fhir_server.jobs``), with handlers defined here: results,
failures, cancellation, and a job resumed by another runner from its checkpoint."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from fhir_server.db import migrate
from fhir_server.db.engine import create_engine
from fhir_server.embedded import ServiceUrls
from fhir_server.jobs.context import Handler, JobContext
from fhir_server.jobs.queue import PostgresJobQueue
from fhir_server.jobs.runner import JobRunner
from resources.jobs import JobInfo

pytestmark = pytest.mark.integration


async def count_up(ctx: JobContext) -> dict[str, Any]:
    """Count to ``n``, a checkpoint per step; resumes from the checkpointed count."""
    start = int((ctx.state or {}).get("i", 0))
    for i in range(start, int(ctx.params["n"])):
        await asyncio.sleep(float(ctx.params.get("pause", 0)))
        await ctx.checkpoint({"i": i + 1}, f"{i + 1}/{ctx.params['n']}")
    return {"counted": ctx.params["n"], "resumed_from": start, "attempt": ctx.attempt}


async def fail(ctx: JobContext) -> dict[str, Any]:
    """Always fails."""
    raise ValueError("no luck")


HANDLERS: dict[str, Handler] = {"test-count": count_up, "test-fail": fail}


async def until(queue: PostgresJobQueue, job_id: str, done: Callable[[JobInfo], bool]) -> JobInfo:
    """Poll the job until ``done`` holds (10 s at most)."""
    for _ in range(200):
        job = await queue.get(job_id)
        assert job is not None
        if done(job):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} never got there")


def with_runner(services: ServiceUrls, body: Callable[[PostgresJobQueue], Awaitable[None]]) -> None:
    """Run ``body`` with a queue on the test database (migrated)."""
    migrate.upgrade(services.database_url)

    async def main() -> None:
        engine = create_engine(services.database_url, 4)
        try:
            await body(PostgresJobQueue(engine))
        finally:
            await engine.dispose()

    asyncio.run(main())


def runner(queue: PostgresJobQueue) -> JobRunner:
    """A runner of the test handlers."""
    return JobRunner(queue, HANDLERS, {}, poll_seconds=0.05)


def test_result_failure_and_cancel(services: ServiceUrls) -> None:
    async def body(queue: PostgresJobQueue) -> None:
        worker = runner(queue)
        await worker.start()
        try:
            counted = await queue.submit("test-count", {"n": 3})
            done = await until(queue, counted.id, lambda j: j.finished)
            assert done.status == "done"
            assert done.result == {"counted": 3, "resumed_from": 0, "attempt": 1}
            failed = await until(
                queue, (await queue.submit("test-fail", {})).id, lambda j: j.finished
            )
            assert failed.status == "failed"
            assert failed.error == "ValueError: no luck"
            slow = await queue.submit("test-count", {"n": 1000, "pause": 0.01})
            await until(queue, slow.id, lambda j: (j.progress or "").startswith(("2", "3", "4")))
            await queue.cancel(slow.id)
            await asyncio.sleep(0.3)
            cancelled = await queue.get(slow.id)
            assert cancelled is not None
            assert cancelled.status == "cancelled"
            assert cancelled.result is None
        finally:
            await worker.stop()

    with_runner(services, body)


def test_a_stopped_runner_hands_the_job_over(services: ServiceUrls) -> None:
    async def body(queue: PostgresJobQueue) -> None:
        first = runner(queue)
        await first.start()
        job = await queue.submit("test-count", {"n": 40, "pause": 0.02})
        await until(queue, job.id, lambda j: (j.progress or "").startswith("1"))
        await first.stop()
        stopped = await queue.get(job.id)
        assert stopped is not None
        assert stopped.status == "queued"
        second = runner(queue)
        await second.start()
        try:
            done = await until(queue, job.id, lambda j: j.finished)
        finally:
            await second.stop()
        assert done.result is not None
        assert done.result["resumed_from"] >= 1
        assert done.result["attempt"] == 2

    with_runner(services, body)


def test_a_claim_given_back_unstarted_is_not_an_attempt(services: ServiceUrls) -> None:
    """A runner told to stop while its claim was in flight gives the job back: the next
    runner's claim is the job's first attempt, not its second."""

    async def body(queue: PostgresJobQueue) -> None:
        job = await queue.submit("test-unstarted", {})
        stale = timedelta(seconds=30)
        first = await queue.claim(("test-unstarted",), "stopping-runner", stale)
        assert first is not None
        assert first.id == job.id
        assert first.attempts == 1
        await queue.release(job.id, "stopping-runner", started=False)
        second = await queue.claim(("test-unstarted",), "next-runner", stale)
        assert second is not None
        assert second.attempts == 1
        await queue.release(job.id, "next-runner")
        third = await queue.claim(("test-unstarted",), "last-runner", stale)
        assert third is not None
        assert third.attempts == 2
        await queue.cancel(job.id)

    with_runner(services, body)
