"""Async engine creation; one URL form for psycopg 3."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def sync_url(database_url: str) -> str:
    """The URL with the psycopg 3 driver named, as SQLAlchemy expects it."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def create_engine(database_url: str, pool_size: int) -> AsyncEngine:
    """An async engine with a fixed pool: requests beyond it wait for a connection rather
    than open and close overflow connections (each a new PostgreSQL backend) under load."""
    return create_async_engine(
        sync_url(database_url),
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=30,
        pool_pre_ping=False,
        pool_recycle=1800,
    )
