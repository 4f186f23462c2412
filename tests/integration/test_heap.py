"""A serving app's startup objects are out of the garbage collector's full passes while it
serves (``fhir_server.heap``), and given back when it stops."""

from __future__ import annotations

import asyncio
import gc

import pytest

from fhir_server.db import migrate
from fhir_server.embedded import ServiceUrls
from fhir_server.http.app import create_app
from fhir_server.settings import Settings
from tests.servers import fresh_database

pytestmark = pytest.mark.integration


async def _counts(url: str, redis_url: str, settings: Settings) -> tuple[int, int, int]:
    """Frozen and tracked objects while the app serves, frozen ones after it stopped."""
    app = create_app(settings, url, redis_url)
    async with app.router.lifespan_context(app):
        frozen, tracked = gc.get_freeze_count(), len(gc.get_objects())
    return frozen, tracked, gc.get_freeze_count()


def test_startup_objects_are_frozen_while_serving(
    services: ServiceUrls, settings: Settings
) -> None:
    with fresh_database(services.database_url) as url:
        migrate.upgrade(url)
        frozen, tracked, after = asyncio.run(_counts(url, services.redis_url, settings))
    assert frozen > 100_000  # the registries, definitions, models, knowledge bases
    assert tracked < frozen / 10  # what a full collection walks while serving
    assert after == 0  # a stopped app can be collected
