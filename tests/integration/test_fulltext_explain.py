"""``EXPLAIN`` of full-text searches on 100,000 Observations: the GIN index on the word
digests answers them, no sequential scan of ``search_text`` or ``resource``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, Select, create_engine, text

from fhir_server.db import migrate
from fhir_server.db.engine import sync_url
from fhir_server.embedded import ServiceUrls
from fhir_server.store.explain import Explain, plan_nodes
from fhir_server.store.search_engine import compile_search, page_statement
from resources.search.index_rows import text_digests
from resources.search.parse import parse_search
from resources.search.registry import default_registry
from tests.servers import fresh_database

pytestmark = pytest.mark.integration

COUNT = 100_000
LOAD = [
    # the same data and whole-table statistics on every run: the plans do not depend on a
    # random sample (ANALYZE reads 300 rows per statistics target unit)
    "SELECT setseed(0.42)",
    """INSERT INTO resource (resource_type, id, version_id, last_updated, deleted)
    SELECT 'Observation', 'o' || i, 1, now() - i * interval '1 second', false
    FROM generate_series(1, :count) AS i""",
    """INSERT INTO search_text (resource_type, resource_id, param, words)
    SELECT 'Observation', 'o' || i, p,
           ARRAY(SELECT (random() * 9e18)::bigint FROM generate_series(1, 12 + 0 * i))
           || CASE WHEN i % 1000 = 0 THEN CAST(:rare AS bigint[]) ELSE '{}' END
           || CASE WHEN i % 10 = 0 THEN CAST(:common AS bigint[]) ELSE '{}' END
    FROM generate_series(1, :count) AS i, (VALUES ('_content'), ('_text')) AS params(p)""",
    "ALTER TABLE search_text ALTER COLUMN words SET STATISTICS 1000",
    "ALTER TABLE resource ALTER COLUMN id SET STATISTICS 1000",
    "ANALYZE",
]


@pytest.fixture(scope="module")
def loaded(services: ServiceUrls, base_url: str) -> Iterator[Engine]:
    """A database of its own, migrated and filled; ``base_url`` installs the process's keys."""
    del base_url
    with fresh_database(services.database_url) as url:
        migrate.upgrade(url)
        engine = create_engine(sync_url(url))
        words = {
            "rare": text_digests("_content", ["quillback"]),
            "common": text_digests("_content", ["glucose"]),
        }
        with engine.begin() as conn:
            for statement in LOAD:
                conn.execute(text(statement), {"count": COUNT, **words})
        try:
            yield engine
        finally:
            engine.dispose()


def _scans(engine: Engine, statement: Select[Any]) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        plan = conn.execute(Explain(statement)).scalar_one()
    return [
        (node["Node Type"], node.get("Relation Name", ""), node.get("Index Name", ""))
        for node in plan_nodes(plan[0]["Plan"])
        if "Scan" in node["Node Type"]
    ]


@pytest.mark.parametrize(
    "params",
    [
        [("_content", "quillback")],
        [("_content", "quillback glucose")],
        [("_content", "quillback,zanderfish")],
        [("_content", "glucose"), ("_content", "quillback")],
        [("_content", "quillback glucose,zanderfish pike")],
    ],
)
def test_full_text_uses_the_gin_index(loaded: Engine, params: list[tuple[str, str]]) -> None:
    query = parse_search(("Observation",), params, default_registry(), strict=True)
    scans = _scans(loaded, page_statement(compile_search(query), query.count + 1))
    assert not [s for s in scans if s[0] == "Seq Scan" and s[1] in ("search_text", "resource")]
    assert "search_text_words" in {index for _, _, index in scans}, scans
