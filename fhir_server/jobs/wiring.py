"""Start and stop a process's job runner with the app, and offer the queue to requests."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from fhir_server.jobs.handlers import HANDLERS
from fhir_server.jobs.queue import PostgresJobQueue
from fhir_server.jobs.runner import JobRunner
from fhir_server.settings import Settings
from profiles_ig.search_params import builtin_registry


async def start_jobs(app: FastAPI, engine: AsyncEngine) -> JobRunner:
    """Create the queue and runner, set ``app.state.jobs`` and the operations' services
    (``jobs``, ``bulk_dir``, ``registry``), and start claiming jobs."""
    settings: Settings = app.state.settings
    registry = getattr(app.state, "registry", None) or builtin_registry()
    runner_ref: list[JobRunner] = []
    queue = PostgresJobQueue(engine, on_submit=lambda: runner_ref[0].wake())
    handler_services = {
        "engine": engine,
        "settings": settings,
        "registry": registry,
        "store": app.state.store,
        "search_params": getattr(app.state, "search_params", None),
    }
    runner = JobRunner(
        queue,
        HANDLERS,
        handler_services,
        concurrency=settings.jobs_concurrency,
        poll_seconds=settings.jobs_poll_seconds,
        stale_after=timedelta(seconds=settings.jobs_stale_seconds),
    )
    runner_ref.append(runner)
    app.state.jobs = queue
    services = dict(getattr(app.state, "services", {}) or {})
    services.update(
        jobs=queue,
        bulk_dir=bulk_dir(settings),
        data_dir=str(settings.data_dir.resolve()),
        registry=registry,
        report_async_intakes=settings.report_async_intakes,
    )
    app.state.services = services
    await runner.start()
    return runner


def bulk_dir(settings: Settings) -> str:
    """Where bulk data files live: ``bulk/`` under the data directory, as an absolute path."""
    return str(settings.data_dir.resolve() / "bulk")
