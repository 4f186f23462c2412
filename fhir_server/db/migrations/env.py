"""Alembic environment: runs migrations on the URL the caller put in the config."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

from fhir_server.db.schema import metadata

MIGRATION_LOCK = 7_201_826_000  # pg_advisory_lock key: one migrator at a time


def run_migrations_online() -> None:
    """Apply migrations under an advisory lock so concurrent starts do not race."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_engine(url)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        connection.commit()
        try:
            context.configure(connection=connection, target_metadata=metadata)
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
    engine.dispose()


run_migrations_online()
