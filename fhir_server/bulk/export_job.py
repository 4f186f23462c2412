"""The ``bulk-export`` job: one NDJSON file per resource type, written part by part.

Parts (one per type, plus ``deleted`` when ``_since`` is given) run
``parallel`` at a time, each on its own connection, streaming keyset batches (``export_sql``)
straight from the stored JSON to its file: memory holds one batch per part, whatever the
export's size. After each batch the part's position (last id, lines, bytes) is checkpointed
in the job; a resumed job truncates each file to its checkpointed size and goes on after the
last id, so no line is lost or written twice.

With auth on, every part reads only what the kick-off's grant (recorded in the job) may read
and search: ``ExportScope.policy`` is that grant's access policy, compiled into the SQL.
Bodies are sealed at rest and opened here, one batch at a time.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from fhir_server.bulk.export_sql import (
    ExportScope,
    batch_statement,
    deleted_statement,
    part_condition,
    was_in_patients,
)
from fhir_server.jobs.context import JobContext, JobStopped
from fhir_server.store.subsetting import subset
from resources.crypto.protection import open_body
from resources.search.registry import SearchRegistry

KIND = "bulk-export"
DELETED = "deleted"
DELETED_PER_BUNDLE = 500


@dataclass
class Export:
    """A running export: its job, scope, folder and the parts' positions."""

    ctx: JobContext
    scope: ExportScope
    folder: Path
    engine: AsyncEngine
    registry: SearchRegistry
    batch: int
    elements: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per type, the ``_elements`` that apply to it (a type none applies to is whole)."""
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def save(self) -> None:
        """Checkpoint every part's position, with a progress line."""
        async with self.lock:
            written = sum(int(p["count"]) for p in self.parts.values())
            finished = sum(1 for p in self.parts.values() if p["done"])
            progress = f"{written} resources written, {finished}/{len(self.parts)} types done"
            await self.ctx.checkpoint({"parts": self.parts}, progress)


def _applicable(elements: list[str], resource_type: str) -> tuple[str, ...]:
    """The ``_elements`` naming ``resource_type``'s elements (``name`` or ``Type.name``)."""
    return tuple(e for e in elements if "." not in e or e.startswith(f"{resource_type}."))


def file_name(part: str) -> str:
    """The NDJSON file of a part."""
    return f"{part}.ndjson"


def _open(path: Path, size: int) -> Any:
    """The part's file, cut back to its checkpointed ``size`` (a fresh one when 0)."""
    handle = path.open("r+b" if size and path.exists() else "wb")
    handle.truncate(size)
    handle.seek(size)
    return handle


async def _run_part(export: Export, resource_type: str) -> None:
    part = export.parts[resource_type]
    if part["done"]:
        return
    condition = part_condition(export.scope, resource_type, export.registry)
    path = export.folder / file_name(resource_type)
    with _open(path, int(part["bytes"])) as handle:
        while True:
            async with export.engine.connect() as conn:
                statement = batch_statement(resource_type, condition, part["after"], export.batch)
                rows = (await conn.execute(statement)).all()
            if rows:
                # bodies are sealed at rest (docs/phi-protection.md): open each one
                bodies = [_opened(resource_type, row) for row in rows]
                if export.elements.get(resource_type):
                    named = export.elements[resource_type]
                    bodies = [subset(body, resource_type, "false", named) for body in bodies]
                data = b"\n".join(bodies) + b"\n"
                handle.write(data)
                handle.flush()
                part.update(after=rows[-1].id, count=part["count"] + len(rows))
                part["bytes"] = int(part["bytes"]) + len(data)
            part["done"] = len(rows) < export.batch
            await export.save()
            if part["done"]:
                return


def _opened(resource_type: str, row: Any) -> bytes:
    body = open_body(resource_type, row.id, row.version_id, row.body)
    return body or b"{}"


def _deleted_bundle(keys: list[tuple[str, str]]) -> bytes:
    entries = [{"request": {"method": "DELETE", "url": f"{t}/{i}"}} for t, i in keys]
    return orjson.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries})


async def _run_deleted(export: Export, types: list[str]) -> None:
    part = export.parts[DELETED]
    if part["done"]:
        return
    path = export.folder / file_name(DELETED)
    with _open(path, int(part["bytes"])) as handle:
        while True:
            after = tuple(part["after"]) if part["after"] else None
            statement = deleted_statement(export.scope, types, after, DELETED_PER_BUNDLE)
            async with export.engine.connect() as conn:
                rows = (await conn.execute(statement)).all()
            keys = [(row.resource_type, row.id) for row in rows if _was_exported(export, row)]
            if keys:
                data = _deleted_bundle(keys) + b"\n"
                handle.write(data)
                handle.flush()
                part.update(count=part["count"] + 1)
                part["bytes"] = int(part["bytes"]) + len(data)
            if rows:
                part["after"] = [rows[-1].resource_type, rows[-1].id]
            part["done"] = len(rows) < DELETED_PER_BUNDLE
            await export.save()
            if part["done"]:
                return


def _was_exported(export: Export, row: Any) -> bool:
    """Whether the deleted resource of ``row`` was in the export's scope when it lived (at
    patient level: linked to its patients; its last live version is opened to tell)."""
    if export.scope.level == "system":
        return True
    data = (
        None if row.body is None else open_body(row.resource_type, row.id, row.version_id, row.body)
    )
    body = None if data is None else orjson.loads(data)
    return was_in_patients(export.scope, row.resource_type, body, export.registry)


def _result(export: Export) -> dict[str, Any]:
    output = [
        {"type": name, "file": file_name(name), "count": part["count"]}
        for name, part in export.parts.items()
        if name != DELETED and part["count"]
    ]
    deleted = export.parts.get(DELETED)
    removed = (
        [{"type": "Bundle", "file": file_name(DELETED), "count": deleted["count"]}]
        if deleted and deleted["count"]
        else []
    )
    for name, part in export.parts.items():
        if not part["count"]:
            (export.folder / file_name(name)).unlink(missing_ok=True)
    return {"output": output, "deleted": removed, "error": []}


async def run_export(ctx: JobContext) -> dict[str, Any]:
    """The job handler: write every part, then the manifest's ``output`` and ``deleted``."""
    params = ctx.params
    settings = ctx.services["settings"]
    folder = Path(params["dir"])
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    types: list[str] = list(params["types"])
    export = Export(
        ctx=ctx,
        scope=ExportScope.from_params(params, ctx.services["registry"]),
        folder=folder,
        engine=ctx.services["engine"],
        registry=ctx.services["registry"],
        batch=int(settings.bulk_export_batch),
    )
    export.elements = {t: _applicable(params.get("elements") or [], t) for t in types}
    fresh = {"after": None, "count": 0, "bytes": 0, "done": False}
    saved = (ctx.state or {}).get("parts", {})
    names = [*types, DELETED] if params.get("deleted") else types
    export.parts = {name: dict(saved.get(name, fresh)) for name in names}
    gate = asyncio.Semaphore(int(settings.bulk_export_parallel))

    async def run(name: str) -> None:
        async with gate:
            if name == DELETED:
                await _run_deleted(export, [t for t in types if export.scope.whole(t)])
            else:
                await _run_part(export, name)

    try:
        await asyncio.gather(*(run(name) for name in names))
    except JobStopped:
        job = await ctx.queue.get(ctx.id)
        if job is not None and job.status == "cancelled":  # leave nothing behind
            await asyncio.to_thread(shutil.rmtree, folder, True)
        raise
    return _result(export)
