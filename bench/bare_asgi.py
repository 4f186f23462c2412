"""The read ceiling: a raw ASGI callable (no framework) reading a Patient by id with psycopg.

Served by uvicorn like the server (``uvicorn bench.bare_asgi:app --workers N``), it does
the same database read as ``PostgresResourceStore.read``: the current version's JSON body,
through the resource -> resource_version join, from a psycopg_pool pool of the server's size.
``BENCH_DATABASE_URL`` (a libpq URL) names the database.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PREFIX = "/fhir/Patient/"
# The server's pool: SQLAlchemy pool_size 10 plus max_overflow 10 per worker.
POOL_MIN, POOL_MAX = 10, 20
READ_BY_ID = (
    "SELECT v.body, v.version_id FROM resource r"
    " JOIN resource_version v ON v.resource_type = r.resource_type"
    " AND v.id = r.id AND v.version_id = r.version_id"
    " WHERE r.resource_type = 'Patient' AND r.id = %s"
)
_FHIR_JSON = (b"content-type", b"application/fhir+json; charset=utf-8")

_pool: AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]] | None = None


async def _lifespan(receive: Receive, send: Send) -> None:
    global _pool
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            _pool = AsyncConnectionPool(
                os.environ["BENCH_DATABASE_URL"], min_size=POOL_MIN, max_size=POOL_MAX, open=False
            )
            await _pool.open(wait=True)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if _pool is not None:
                await _pool.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read(id_: str) -> tuple[bytes, int] | None:
    assert _pool is not None
    async with _pool.connection() as conn:
        cursor = await conn.execute(READ_BY_ID, (id_,))
        row = await cursor.fetchone()
    return (bytes(row[0]), int(row[1])) if row else None


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """GET /fhir/Patient/{id} -> the stored JSON; GET /health -> 200; else 404."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    path: str = scope["path"]
    if scope["method"] == "GET" and path.startswith(PREFIX) and "/" not in path[len(PREFIX) :]:
        found = await _read(path[len(PREFIX) :])
        if found is not None:
            etag = (b"etag", f'W/"{found[1]}"'.encode())
            await _respond(send, 200, found[0], [_FHIR_JSON, etag])
            return
    elif scope["method"] == "GET" and path == "/health":
        await _respond(send, 200, b"{}", [_FHIR_JSON])
        return
    await _respond(send, 404, b'{"resourceType":"OperationOutcome"}', [_FHIR_JSON])
