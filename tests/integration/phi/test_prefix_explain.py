"""A starts-with search on a blinded name is answered by the GIN index of prefix keys, not by
a scan of the token table, on a database of 10,000 patients."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, create_engine, select, text

from fhir_server.db import migrate
from fhir_server.db.engine import sync_url
from fhir_server.db.schema import resource
from fhir_server.embedded import ServiceUrls
from fhir_server.store.explain import Explain, plan_nodes
from fhir_server.store.search_engine import compile_search, page_statement
from resources.crypto import protection
from resources.search.parse import parse_search
from resources.search.registry import default_registry
from tests.servers import fresh_database

pytestmark = pytest.mark.integration

PATIENTS = 10_000
LOAD = [
    """INSERT INTO resource (resource_type, id, version_id, last_updated, deleted)
    SELECT 'Patient', 'Patient' || i, 1, now(), false FROM generate_series(1, :n) AS i""",
    """INSERT INTO search_token (resource_type, resource_id, param, system, code)
    SELECT 'Observation', 'Observation' || i, 'code', 'http://loinc.org', 'c' || (i % 500)
    FROM generate_series(1, :n * 5) AS i""",
    """INSERT INTO search_token (resource_type, resource_id, param, text, prefixes)
    SELECT 'Patient', 'Patient' || (r ->> 'n'), 'family', r ->> 'exact',
        ARRAY(SELECT jsonb_array_elements_text(r -> 'keys')::bigint)
    FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r""",
    "ANALYZE",
]


@pytest.fixture(scope="module")
def loaded(services: ServiceUrls, base_url: str) -> Iterator[Engine]:
    del base_url  # the session's server installs the keys digested with here
    installed = protection.current()
    assert installed is not None
    blind = installed.blind
    rows = [
        {
            "n": n,
            "exact": blind.exact("name", f"Fam{n}"),
            "keys": blind.prefix_keys("name", f"fam{n}"),
        }
        for n in range(1, PATIENTS + 1)
    ]
    with fresh_database(services.database_url) as url:
        migrate.upgrade(url)
        engine = create_engine(sync_url(url))
        with engine.begin() as conn:
            for statement in LOAD:
                conn.execute(text(statement), {"n": PATIENTS, "rows": orjson.dumps(rows).decode()})
        try:
            yield engine
        finally:
            engine.dispose()


def _scans(engine: Engine, params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    query = parse_search(("Patient",), params, default_registry(), strict=True)
    with engine.connect() as conn:
        plan: Any = conn.execute(
            Explain(page_statement(compile_search(query), query.count + 1))
        ).scalar_one()
    return [
        (node["Node Type"], node.get("Index Name", node.get("Relation Name", "")))
        for node in plan_nodes(plan[0]["Plan"])
        if "Scan" in node["Node Type"]
    ]


@pytest.mark.parametrize("value", ["fam1234", "fam12,fam77"])
def test_name_starts_with_uses_the_prefix_index(loaded: Engine, value: str) -> None:
    scans = _scans(loaded, [("family", value)])
    assert ("Bitmap Index Scan", "search_token_prefixes") in scans, scans
    assert ("Seq Scan", "search_token") not in scans, scans


def test_the_search_finds_the_loaded_patients(loaded: Engine) -> None:
    query = parse_search(("Patient",), [("name", "fam123")], default_registry(), strict=True)
    with loaded.connect() as conn:
        matched = select(resource.c.id).where(compile_search(query).where)
        found = set(conn.scalars(matched))
    expected = {f"Patient{n}" for n in range(1, PATIENTS + 1) if str(n).startswith("123")}
    assert found == expected
