"""The resource store as every entry point opens it: PHI keys installed, fast reads, and the
write hooks (the safety re-check, the audit trail) around the PostgreSQL store.

The HTTP app, the MLLP listener and the commands that write resources (``import``,
``terminology load``) all open it here, so none of them can write without the keys or skip
the safety checks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from fhir_server.audit.write_hook import AuditWriteHook
from fhir_server.crypto.runtime import open_keys
from fhir_server.db.engine import create_engine
from fhir_server.settings import Settings
from fhir_server.store.fast_reads import FastReader
from fhir_server.store.resource_store import PostgresResourceStore
from fhir_server.store.write_hooks import HookedStore
from operations.safety.recheck import SafetyRecheck
from resources.ports import ResourceStore, WriteHook


@dataclass(frozen=True)
class OpenStore:
    """An engine, the PostgreSQL store, its write hooks and the hooked store over both."""

    engine: AsyncEngine
    inner: PostgresResourceStore
    hooks: tuple[WriteHook, ...]
    store: ResourceStore


@asynccontextmanager
async def open_store(
    settings: Settings, database_url: str, pool_size: int
) -> AsyncIterator[OpenStore]:
    """Open the store; a missing or wrong master key fails here, before anything is served."""
    engine = create_engine(database_url, pool_size)
    try:
        keys = await open_keys(settings, engine)
        reader = FastReader(database_url, max(2, pool_size // 2), settings.search_timeout_s)
        await reader.open()
        try:
            hooks: tuple[WriteHook, ...] = (SafetyRecheck(),)
            if settings.audit_enabled:  # creates and changes audited in their transaction
                hooks += (AuditWriteHook(),)
            inner = PostgresResourceStore(engine, reader)
            yield OpenStore(engine, inner, hooks, HookedStore(inner, hooks))
        finally:
            await reader.close()
            await keys.close()
    finally:
        await engine.dispose()
