"""Keys in a serving process: loaded before the first request, refreshed while it runs.

The refresh picks up what ``nutrivision keys rotate`` does from another process: a new data
key (pending first, so every process can open bodies sealed with it before any exists), then
the switch of the active key. A failure to load the keys at start stops the start.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, select
from sqlalchemy.ext.asyncio import AsyncEngine

from fhir_server.crypto.keystore import MasterSource, load_protection, refresh
from fhir_server.db.phi_tables import phi_key
from fhir_server.outage_log import OutageLog
from fhir_server.periodic import Periodic
from fhir_server.settings import Settings
from resources.crypto import protection as state
from resources.crypto.envelope import MasterKey
from resources.crypto.protection import Protection

_log = logging.getLogger(__name__)


def master_source(settings: Settings) -> MasterSource:
    """The master key's source from the settings."""
    secret = settings.master_key.get_secret_value() if settings.master_key else None
    path = settings.master_key_file or Path(settings.data_dir) / "master.key"
    return MasterSource(secret, path)


def load_sync(conn: Connection, settings: Settings) -> tuple[Protection, MasterKey]:
    """Load (or on first start create) the keys and install them in this process."""
    protection, master = load_protection(conn, master_source(settings), state.current())
    state.install(protection)
    return protection, master


@dataclass
class KeyRuntime:
    """The loaded keys and the task that keeps them current."""

    refreshing: Periodic | None = None

    async def close(self) -> None:
        """Stop refreshing (after a refresh under way)."""
        if self.refreshing is not None:
            await self.refreshing.stop()


async def _refresh(engine: AsyncEngine, protection: Protection, master: MasterKey) -> None:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(phi_key))).all()
    # The installed protection: a command run in this process may have installed an equal
    # one (same keys) in its place.
    refresh(state.current() or protection, rows, master)


async def open_keys(settings: Settings, engine: AsyncEngine) -> KeyRuntime:
    """Install the keys (or plain text when PHI protection is off) and start refreshing."""
    if not settings.phi_protection:
        _log.warning("PHI protection is OFF: bodies and index values are stored in plain text")
        state.install_disabled()
        return KeyRuntime()
    async with engine.begin() as conn:
        protection, master = await conn.run_sync(load_sync, settings)
    refreshing = Periodic(
        settings.key_refresh_seconds,
        functools.partial(_refresh, engine, protection, master),
        OutageLog(_log, "refreshing the data keys"),
        lambda: "the keys held are kept",  # serving goes on with them
    )
    refreshing.start()
    return KeyRuntime(refreshing)
