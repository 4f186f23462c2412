"""Custom SearchParameters in force: loaded from the database, refreshed on change.

Every server process keeps one ``LiveSearchParams``: the built-in registry plus each stored
SearchParameter resource, and per custom parameter whether its index rows are complete
(``search_param_index``). A write of a SearchParameter, its deletion or the end of a reindex
reloads it in the process that made the change, at once, and publishes a notice on the Redis
channel ``CHANNEL``; every other process reloads when the notice arrives (``listen``).

Why a notice and not a version check per request: searches are the hot path, and a check
costs a round trip on each; a notice costs nothing until something changes, and changes are
rare. A process that loses its Redis connection reloads once it is back, so a notice missed
meanwhile is made up for.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from fhir_server.auth.redis_state import Redis
from fhir_server.db.search_param_tables import search_param_index
from fhir_server.outage_log import OutageLog
from fhir_server.store.rows import CURRENT_JOIN, R, V
from profiles_ig.search_params import builtin_registry, is_builtin
from resources import fhir_json
from resources.crypto.protection import open_body
from resources.errors import FhirError
from resources.search.custom import custom_param
from resources.search.param_def import SearchParamDef, param_to_json
from resources.search.registry import SearchRegistry

CHANNEL = "nutrivision:search-parameters"
_log = logging.getLogger(__name__)


def signature(param: SearchParamDef) -> str:
    """A digest of what the index rows of ``param`` depend on (not its name or status)."""
    data = param_to_json(param)
    relevant = {k: data.get(k) for k in ("code", "type", "base", "expression", "component")}
    return hashlib.sha256(orjson.dumps(relevant, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class IndexState:
    """Where the index rows of one custom parameter stand."""

    status: str
    """``ready``, ``running``, ``failed``, or ``pending`` (no reindex since it changed)."""
    job_id: str | None


async def stored_parameters(engine: AsyncEngine) -> list[dict[str, Any]]:
    """Every current, not deleted SearchParameter resource, oldest change first."""
    query = (
        select(R.id, V.version_id, V.body)
        .select_from(CURRENT_JOIN)
        .where(R.resource_type == "SearchParameter", ~R.deleted)
        .order_by(R.last_updated, R.id)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    bodies = (open_body("SearchParameter", r.id, r.version_id, r.body) for r in rows)
    return [fhir_json.loads(body) for body in bodies if body is not None]


def registry_with(
    resources: list[dict[str, Any]], base: SearchRegistry | None = None
) -> tuple[SearchRegistry, dict[str, SearchParamDef]]:
    """The registry with these SearchParameters added (a later one with the same URL wins),
    and the custom parameters by URL. One that no longer validates is skipped and logged."""
    registry = base or builtin_registry()
    custom: dict[str, SearchParamDef] = {}
    for resource in resources:
        if is_builtin(str(resource.get("url"))):
            continue  # a copy of a built-in definition: the built-in one stays in force
        try:
            param = custom_param(resource, registry)
        except FhirError as error:
            _log.warning("stored SearchParameter %s skipped: %s", resource.get("url"), error)
            continue
        custom[param.url] = param
    return registry.with_params(custom.values()), custom


async def index_states(engine: AsyncEngine) -> dict[str, tuple[str, str, str | None]]:
    """The ``search_param_index`` rows: per URL, (signature, status, job id)."""
    t = search_param_index.c
    async with engine.connect() as conn:
        rows = (await conn.execute(select(t.url, t.signature, t.status, t.job_id))).all()
    return {row.url: (row.signature, row.status, row.job_id) for row in rows}


class LiveSearchParams:
    """The registry in force in this process, and the index state of its custom parameters.

    ``on_change`` receives each new registry (the app hands it to its store and routes).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        on_change: Callable[[SearchRegistry], None] | None = None,
        redis: Redis | None = None,
    ) -> None:
        self.engine = engine
        self.redis = redis
        self.registry = builtin_registry()
        self.custom: Mapping[str, SearchParamDef] = {}
        self.states: Mapping[str, IndexState] = {}
        self._on_change = on_change
        self._lock = asyncio.Lock()

    async def reload(self) -> SearchRegistry:
        """Read the stored parameters and index states again; return the new registry."""
        async with self._lock:
            registry, custom = registry_with(await stored_parameters(self.engine))
            rows = await index_states(self.engine)
            self.states = {url: _state(param, rows.get(url)) for url, param in custom.items()}
            self.registry, self.custom = registry, custom
            if self._on_change is not None:
                self._on_change(registry)
            return registry

    def state_of(self, param: SearchParamDef) -> IndexState | None:
        """The index state of a custom parameter; None for a built-in one (always ready)."""
        if self.custom.get(param.url) is not param:
            return None
        return self.states.get(param.url, IndexState("pending", None))

    async def state_now(self, param: SearchParamDef) -> IndexState | None:
        """``state_of`` as the database has it now, kept for the next searches: the process
        whose job finished a reindex marks the index ready and tells the others, and a
        search here may come before the notice does (a client that saw the job's status
        answered done by one process and searches through another)."""
        if self.custom.get(param.url) is not param:
            return None
        state = _state(param, (await index_states(self.engine)).get(param.url))
        self.states = {**self.states, param.url: state}
        return state

    async def changed(self) -> None:
        """Something changed here: reload now, then tell the other processes."""
        await self.reload()
        if self.redis is not None:
            await self.redis.publish(CHANNEL, b"changed")

    async def listen(self, redis: Redis, retry_seconds: float = 2.0) -> None:
        """Reload on every notice, until cancelled; resubscribing after a lost connection
        reloads too, for the notices missed meanwhile."""
        outage = OutageLog(_log, "search parameter notices")
        while True:
            try:
                async with redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    await self.reload()
                    outage.succeeded()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            await self.reload()
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis or the database briefly away: try again
                outage.failed("reconnecting")
                await asyncio.sleep(retry_seconds)


def _state(param: SearchParamDef, row: tuple[str, str, str | None] | None) -> IndexState:
    if row is None:
        return IndexState("pending", None)
    stored_signature, status, job_id = row
    if status == "ready" and stored_signature != signature(param):
        return IndexState("pending", None)  # built from an earlier definition
    return IndexState(status, job_id)
