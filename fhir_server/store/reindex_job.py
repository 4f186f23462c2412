"""The ``search-reindex`` job: rebuild the index rows of every live resource of some types.

Resources are read in keyset batches on the ``(resource_type, id) WHERE NOT deleted`` index,
``reindex_batch`` (setting) per transaction. With ``urls`` (``$reindex?url=``) only those
parameters are extracted and their rows replaced; otherwise every parameter's. Rows come from
``index_writer`` (so through THE SEAM, ``index_rows``: PHI parameters get blind indexes as on
any write) and are written a table at a time for the whole batch (``param_reindex``). The
batch holds a share lock on its ``resource`` rows, so a
write of one of them waits for the batch to commit and then indexes its own version: the
batch never overwrites a newer version's rows with an older one's. After each batch the last
(type, id) and the count are checkpointed; a resumed job goes on after them.

When the job ends, every custom parameter whose bases it covered entirely is ready
(``search_param_index``), for the definition it was run with.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from fhir_server.db.schema import resource
from fhir_server.db.search_param_tables import search_param_index
from fhir_server.jobs.context import JobContext, JobStopped
from fhir_server.store.index_statement import TableRows
from fhir_server.store.index_writer import param_table_rows, table_rows
from fhir_server.store.param_reindex import merge, replace_param_rows, stored_names
from fhir_server.store.rows import CURRENT_JOIN, R, V
from fhir_server.store.search_params import (
    LiveSearchParams,
    registry_with,
    signature,
    stored_parameters,
)
from operations.reindex import KIND
from resources import fhir_json
from resources.crypto.protection import open_body
from resources.identity import now
from resources.resource_types import SERVED_TYPES
from resources.search.param_def import ABSTRACT_BASES, SearchParamDef
from resources.search.registry import SearchRegistry

__all__ = ["KIND", "run_reindex"]
BATCH = 500
Key = tuple[str, str]


def covered(custom: dict[str, SearchParamDef], types: list[str]) -> list[SearchParamDef]:
    """The custom parameters all of whose base types are among ``types``."""
    wanted = set(types)
    found = []
    for param in custom.values():
        bases = SERVED_TYPES if set(param.base) & set(ABSTRACT_BASES) else set(param.base)
        if bases <= wanted:
            found.append(param)
    return found


async def mark(engine: AsyncEngine, params: list[SearchParamDef], status: str, job_id: str) -> None:
    """Record the index state of these parameters (upsert per URL)."""
    if not params:
        return
    rows = [
        {
            "url": p.url,
            "signature": signature(p),
            "status": status,
            "job_id": job_id,
            "updated_at": now(),
        }
        for p in params
    ]
    statement = insert(search_param_index).values(rows)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["url"],
        set_={c: excluded[c] for c in ("signature", "status", "job_id", "updated_at")},
    )
    async with engine.begin() as conn:
        await conn.execute(statement)


def _batch_query(types: list[str], after: Key, size: int) -> Any:
    return (
        select(R.resource_type, R.id, V.version_id, V.body)
        .select_from(CURRENT_JOIN)
        .where(~R.deleted, R.resource_type.in_(types), tuple_(R.resource_type, R.id) > after)
        .order_by(R.resource_type, R.id)
        .limit(size)
        .with_for_update(read=True, of=resource)
    )


Work = list[tuple[str, str, TableRows]]


def _rows_of(
    batch: list[Any], registry: SearchRegistry, params: list[SearchParamDef] | None
) -> Work:
    """The index rows of each resource of a batch: all of them, or only of ``params``
    (CPU work: run in a thread)."""
    found = []
    for row in batch:
        body = open_body(row.resource_type, row.id, row.version_id, row.body)
        if body is None:
            continue
        document = fhir_json.loads(body)
        type_, id_ = row.resource_type, row.id
        if params is None:
            found.append((type_, id_, table_rows(type_, id_, document, registry)))
        else:
            own = [p for p in params if p.expression_for(type_) is not None]
            found.append((type_, id_, param_table_rows(type_, id_, document, own, registry)))
    return found


async def _write(conn: AsyncConnection, work: Work, params: list[SearchParamDef] | None) -> None:
    by_type: dict[str, tuple[list[str], TableRows]] = {}
    for type_, id_, rows in work:
        ids, merged = by_type.setdefault(type_, ([], {}))
        ids.append(id_)
        merge(merged, rows)
    names = stored_names(params) if params is not None else None
    for type_, (ids, merged) in by_type.items():
        await replace_param_rows(conn, type_, ids, names, merged)


async def reindex_batch(
    engine: AsyncEngine,
    registry: SearchRegistry,
    types: list[str],
    after: Key,
    size: int,
    params: list[SearchParamDef] | None = None,
) -> tuple[int, Key]:
    """Reindex the next ``size`` resources after ``after`` (every parameter, or only
    ``params``); how many, and the last key."""
    async with engine.begin() as conn:
        batch = list((await conn.execute(_batch_query(types, after, size))).all())
        work = await asyncio.to_thread(_rows_of, batch, registry, params)
        await _write(conn, work, params)
    last = (batch[-1].resource_type, batch[-1].id) if batch else after
    return len(batch), last


async def _count(engine: AsyncEngine, types: list[str]) -> int:
    query = select(func.count()).select_from(resource).where(~R.deleted, R.resource_type.in_(types))
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def run_reindex(ctx: JobContext) -> dict[str, Any]:
    """The job handler (``HANDLERS``)."""
    engine: AsyncEngine = ctx.services["engine"]
    live: LiveSearchParams | None = ctx.services.get("search_params")
    types = [str(t) for t in ctx.params["types"]]
    registry, custom = registry_with(await stored_parameters(engine))
    urls = [str(u) for u in ctx.params.get("urls", [])]
    found = (registry.by_url(url) for url in urls)
    named = [param for param in found if param is not None] if urls else None
    params = covered(custom, types)  # ready at the end: every base type done
    if named is not None:
        params = [p for p in params if p.url in {n.url for n in named}]
    state = ctx.state or {"after": ["", ""], "done": 0, "seconds": 0.0}
    if ctx.state is None:
        await _announce(engine, live, params, "running", ctx.id)
    try:
        return await _run(ctx, engine, registry, types, state, params, live, named)
    except JobStopped:
        raise
    except Exception:
        await _announce(engine, live, params, "failed", ctx.id)
        raise


async def _announce(
    engine: AsyncEngine,
    live: LiveSearchParams | None,
    params: list[SearchParamDef],
    status: str,
    job_id: str,
) -> None:
    await mark(engine, params, status, job_id)
    if live is not None and params:
        await live.changed()


async def _run(
    ctx: JobContext,
    engine: AsyncEngine,
    registry: SearchRegistry,
    types: list[str],
    state: dict[str, Any],
    params: list[SearchParamDef],
    live: LiveSearchParams | None,
    named: list[SearchParamDef] | None,
) -> dict[str, Any]:
    total = await _count(engine, types)
    size = int(getattr(ctx.services.get("settings"), "reindex_batch", BATCH))
    after: Key = (state["after"][0], state["after"][1])
    done, seconds = int(state["done"]), float(state["seconds"])
    while True:
        started = time.perf_counter()
        count, after = await reindex_batch(engine, registry, types, after, size, named)
        done, seconds = done + count, seconds + time.perf_counter() - started
        progress = f"{done}/{max(total, done)} resources reindexed"
        await ctx.checkpoint({"after": list(after), "done": done, "seconds": seconds}, progress)
        if count < size:
            break
    await _announce(engine, live, params, "ready", ctx.id)
    rate = round(done / seconds, 1) if seconds > 0 else None
    return {
        "reindexed": done,
        "types": types,
        "parameters": [p.url for p in params],
        "seconds": round(seconds, 3),
        "resourcesPerSecond": rate,
    }
