"""Start a process's custom SearchParameters: the store that keeps them in force, the registry
they make, and the listener for other processes' changes (``store.search_params``)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from fhir_server.auth.redis_state import Redis
from fhir_server.store.resource_store import PostgresResourceStore
from fhir_server.store.search_param_store import LiveStore
from fhir_server.store.search_params import LiveSearchParams
from resources.ports import WriteHook
from resources.search.registry import SearchRegistry


def _use(app: FastAPI, inner: PostgresResourceStore, registry: SearchRegistry) -> None:
    """Hand a new registry to everything that reads one (routes, store, operations)."""
    app.state.registry = registry
    inner.registry = registry
    services = getattr(app.state, "services", None)
    if isinstance(services, dict):
        services["registry"] = registry


async def start_search_params(
    app: FastAPI,
    engine: AsyncEngine,
    inner: PostgresResourceStore,
    hooks: Sequence[WriteHook],
    redis: Redis,
) -> asyncio.Task[None]:
    """Set ``app.state.store`` and ``app.state.search_params`` with the stored parameters
    loaded; return the listener task (cancel it at shutdown)."""
    live = LiveSearchParams(engine, lambda registry: _use(app, inner, registry), redis)
    app.state.search_params = live
    app.state.store = LiveStore(inner, hooks, live)
    await live.reload()
    return asyncio.create_task(live.listen(redis), name="search-parameter-notices")
