"""ASGI entry point for uvicorn workers: ``fhir_server.asgi:create`` (a factory).

Each worker reads the same environment; ``nutrivision serve`` puts the embedded servers'
URLs there before starting workers, so every worker talks to the same database.
"""

from __future__ import annotations

from fastapi import FastAPI

from fhir_server.settings import load_settings


def create() -> FastAPI:
    """Build the app from ``NUTRIVISION_*`` settings (external URLs required here)."""
    from fhir_server.http.app import create_app

    settings = load_settings()
    if settings.database_url is None or settings.redis_url is None:
        raise RuntimeError("NUTRIVISION_DATABASE_URL and NUTRIVISION_REDIS_URL must be set")
    return create_app(settings, settings.database_url, settings.redis_url)
