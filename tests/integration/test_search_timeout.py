"""A search that runs past ``search_timeout_s`` is cancelled in PostgreSQL and answered with a
too-costly OperationOutcome (503), and the pool's connection serves the next search; the same
for the searches inside a write transaction (a conditional write's, a transaction's).

The slow search is made deterministic by a lock: another transaction holds ``resource`` in
ACCESS EXCLUSIVE mode, so the search waits, and PostgreSQL's statement timeout counts the wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import text

from fhir_server.composition import open_store
from fhir_server.db import migrate
from fhir_server.db.engine import create_engine
from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from fhir_server.store.resource_store import PostgresResourceStore
from resources.errors import TooCostly
from resources.search.parse import parse_search
from resources.search.registry import default_registry
from tests.servers import fresh_database

pytestmark = pytest.mark.integration
LIMIT_S = 0.3


async def _searches(url: str, settings: Settings) -> tuple[float, dict[str, object], list[str]]:
    query = parse_search(("Patient",), [("family", "Lock")], default_registry())
    patient = {"resourceType": "Patient", "name": [{"family": "Lock"}]}
    locker = create_engine(url, 1)
    try:
        async with open_store(settings, url, 4) as opened:
            async with opened.store.transaction() as tx:
                await tx.create("Patient", patient, None)
            async with locker.begin() as conn:
                await conn.execute(text("LOCK TABLE resource IN ACCESS EXCLUSIVE MODE"))
                started = time.monotonic()
                with pytest.raises(TooCostly) as stopped:  # not the test's own TimeoutError
                    await asyncio.wait_for(opened.store.search(query, None), LIMIT_S + 10)
                waited = time.monotonic() - started
            page = await opened.store.search(query, None)  # the lock is gone: it answers
            return waited, stopped.value.outcome(), [v.id for v in page.matches]
    finally:
        await locker.dispose()


def test_a_search_past_the_limit_is_stopped_with_an_outcome(
    services: ServiceUrls, settings: Settings
) -> None:
    limited = settings.model_copy(update={"search_timeout_s": LIMIT_S})
    with fresh_database(services.database_url) as url:
        migrate.upgrade(url)
        waited, outcome, found = asyncio.run(_searches(url, limited))
    assert LIMIT_S * 0.9 <= waited < LIMIT_S + 5  # stopped by the limit, not by the lock
    assert TooCostly.status == 503
    issue = outcome["issue"][0]  # type: ignore[index]
    assert issue["code"] == "too-costly"
    assert "time limit" in issue["diagnostics"]
    assert len(found) == 1


async def _waits(url: str, settings: Settings) -> bool:
    """Without a limit the search waits for the lock, and answers once it is released."""
    query = parse_search(("Patient",), [("family", "Lock")], default_registry())
    locker = create_engine(url, 1)
    try:
        async with open_store(settings, url, 4) as opened:
            async with locker.begin() as conn:
                await conn.execute(text("LOCK TABLE resource IN ACCESS EXCLUSIVE MODE"))
                search = asyncio.ensure_future(opened.store.search(query, None))
                await asyncio.sleep(LIMIT_S * 2)
                still_waiting = not search.done()
            await search
            return still_waiting
    finally:
        await locker.dispose()


def test_without_a_limit_a_search_waits(services: ServiceUrls, settings: Settings) -> None:
    unlimited = settings.model_copy(update={"search_timeout_s": 0})
    with fresh_database(services.database_url) as url:
        migrate.upgrade(url)
        assert asyncio.run(_waits(url, unlimited))


def _patient(family: str) -> dict[str, Any]:
    return {"resourceType": "Patient", "name": [{"family": family}]}


async def _conditional_create(store: PostgresResourceStore) -> object:
    condition = parse_search(("Patient",), [("family", "Lock")], default_registry())
    return await store.create("Patient", _patient("Other"), condition)


async def _conditional_delete(store: PostgresResourceStore) -> object:
    condition = parse_search(("Patient",), [("family", "Lock")], default_registry())
    return await store.delete_matching(condition, 1)


async def _transaction_search(store: PostgresResourceStore) -> object:
    query = parse_search(("Patient",), [("family", "Lock")], default_registry())
    async with store.transaction() as tx:
        return await tx.match(query, 2)


WRITES: dict[str, Callable[[PostgresResourceStore], Awaitable[object]]] = {
    "conditional-create": _conditional_create,
    "conditional-delete": _conditional_delete,
    "transaction-search": _transaction_search,
}


async def _stopped_write(
    url: str, settings: Settings, write: Callable[[PostgresResourceStore], Awaitable[object]]
) -> tuple[float, int]:
    """The write's search waits for the lock until the limit stops it; nothing is written."""
    locker = create_engine(url, 1)
    try:
        async with open_store(settings, url, 4) as opened:
            store = opened.inner
            await store.create("Patient", _patient("Lock"), None)
            async with locker.begin() as conn:
                await conn.execute(text("LOCK TABLE resource IN ACCESS EXCLUSIVE MODE"))
                started = time.monotonic()
                with pytest.raises(TooCostly):
                    await asyncio.wait_for(write(store), LIMIT_S + 10)
                waited = time.monotonic() - started
            async with locker.connect() as conn:
                count = (await conn.execute(text("SELECT count(*) FROM resource"))).scalar_one()
            return waited, int(count)
    finally:
        await locker.dispose()


@pytest.mark.parametrize("write", list(WRITES))
def test_a_search_inside_a_write_past_the_limit_is_stopped(
    services: ServiceUrls, settings: Settings, write: str
) -> None:
    limited = settings.model_copy(update={"search_timeout_s": LIMIT_S})
    with fresh_database(services.database_url) as url:
        migrate.upgrade(url)
        waited, resources = asyncio.run(_stopped_write(url, limited, WRITES[write]))
    assert LIMIT_S * 0.9 <= waited < LIMIT_S + 5
    assert resources == 1  # the Patient written first; the stopped write left nothing
