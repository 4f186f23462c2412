"""Alembic, driven from code: upgrade to head and report the current revision."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from fhir_server.db.engine import sync_url

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    """Apply every pending migration."""
    command.upgrade(_config(database_url), "head")


@dataclass(frozen=True)
class MigrationStatus:
    """The database's revision and the code's head revision."""

    current: str | None
    head: str | None

    @property
    def up_to_date(self) -> bool:
        """True when no migration is pending."""
        return self.current == self.head


@functools.cache
def head_revision() -> str | None:
    """The newest migration in the code (read from disk once: /ready asks on every probe)."""
    return ScriptDirectory.from_config(_config("postgresql://unused")).get_current_head()


def status(database_url: str) -> MigrationStatus:
    """Compare the database's revision with the code's head."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    return MigrationStatus(current, head_revision())
