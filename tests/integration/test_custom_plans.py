"""The engine's sessions plan each execution of a prepared statement for its values: after five
runs of one search, PostgreSQL would otherwise be free to switch to a generic plan made without
them, which for a skewed value (a code on most Observations) reads the whole code instead of
one patient's references."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from fhir_server.db import migrate
from fhir_server.db.engine import create_engine
from fhir_server.db.schema import metadata
from fhir_server.db.text_tables import search_text  # noqa: F401  (its table in metadata)
from fhir_server.embedded import ServiceUrls
from tests.servers import fresh_database

pytestmark = pytest.mark.integration
T = TypeVar("T")

SEED = [
    """INSERT INTO resource SELECT 'Observation', 'o' || i, 1, now(), false
    FROM generate_series(1, 4000) AS i""",
    """INSERT INTO search_token (resource_type, resource_id, param, system, code)
    SELECT 'Observation', 'o' || i, 'code', 'http://loinc.org', '8302-2'
    FROM generate_series(1, 4000) AS i""",
    """INSERT INTO search_reference (resource_type, resource_id, param, target_type, target_id)
    SELECT 'Observation', 'o' || i, 'patient', 'Patient', 'p' || (i % 2000)
    FROM generate_series(1, 4000) AS i""",
    "ANALYZE",
]
SEARCH = """PREPARE search(text, text) AS SELECT resource.id FROM resource
WHERE resource.resource_type = 'Observation' AND NOT resource.deleted
AND EXISTS (SELECT FROM search_reference r WHERE r.resource_type = 'Observation'
    AND r.resource_id = resource.id AND r.param = 'patient' AND r.target_id = $1)
AND EXISTS (SELECT FROM search_token t WHERE t.resource_type = 'Observation'
    AND t.resource_id = resource.id AND t.param = 'code' AND t.code = $2 COLLATE "C")
ORDER BY resource.id LIMIT 21"""


def _after_seed(
    services: ServiceUrls, seed: list[str], read: Callable[[AsyncConnection], Awaitable[T]]
) -> T:
    """``read`` on a fresh migrated database once ``seed`` is committed."""

    async def run(url: str) -> T:
        engine = create_engine(url, 1)
        try:
            async with engine.begin() as conn:
                for statement in seed:
                    await conn.execute(text(statement))
            async with engine.connect() as conn:
                return await read(conn)
        finally:
            await engine.dispose()

    with fresh_database(services.database_url) as url:
        migrate.upgrade(url)
        return asyncio.run(run(url))


def test_a_repeated_search_keeps_planning_for_its_values(services: ServiceUrls) -> None:
    async def read(conn: AsyncConnection) -> tuple[str, list[str]]:
        mode = (await conn.execute(text("SHOW plan_cache_mode"))).scalar_one()
        await conn.execute(text(SEARCH))
        for _ in range(8):
            await conn.execute(text("EXECUTE search('p7', '8302-2')"))
        plan = await conn.execute(text("EXPLAIN EXECUTE search('p7', '8302-2')"))
        return mode, [row[0] for row in plan]

    mode, plan = _after_seed(services, SEED, read)
    assert mode == "force_custom_plan"
    assert not any("$1" in line or "$2" in line for line in plan), plan  # planned for values
    assert any("search_reference" in line for line in plan)


OWNER_STATS = """SELECT attrelid::regclass::text, attstattarget FROM pg_attribute
WHERE attname = 'resource_id' AND attrelid = ANY (CAST(:tables AS regclass[]))"""
SKEWED_OWNERS = [
    # 50 Observations with 20 dates each, 3,000 with one: a list of common values would
    # name the 50
    """INSERT INTO search_date (resource_type, resource_id, param, low, high)
    SELECT 'Observation', CASE WHEN i <= 1000 THEN 'o' || (i % 50) ELSE 'x' || i END, 'date',
        now(), now() FROM generate_series(1, 4000) AS i""",
    "ANALYZE search_date",
]


def test_index_rows_owner_ids_keep_no_common_values_to_compare(services: ServiceUrls) -> None:
    """Every index table's ``resource_id`` has statistics target 1 (migration 0017): its
    distinct count is still estimated, from the whole sample, but no list of common ids is
    compared with another's in every join order the planner weighs."""
    owned = sorted(t.name for t in metadata.tables.values() if "resource_id" in t.c)
    assert "search_text" in owned
    assert "search_token" in owned

    async def read(conn: AsyncConnection) -> tuple[dict[str, int], tuple[float, str | None]]:
        rows = await conn.execute(text(OWNER_STATS), {"tables": owned})
        targets = {name: target for name, target in rows}
        found = await conn.execute(
            text(
                "SELECT n_distinct, most_common_vals::text FROM pg_stats"
                " WHERE tablename = 'search_date' AND attname = 'resource_id'"
            )
        )
        n_distinct, common = found.one()
        return targets, (n_distinct, common)

    targets, (n_distinct, common) = _after_seed(services, SKEWED_OWNERS, read)
    assert targets == dict.fromkeys(owned, 1)
    assert n_distinct in (-0.7625, 3050), n_distinct  # 3,050 ids in 4,000 rows
    assert common is None or "," not in common, common  # one common id at most
