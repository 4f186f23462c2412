"""``StoreTransaction.create_many`` writes exactly what as many single creates write: resource
and version rows, sealed bodies, index rows per table, audit events, results in order."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from fhir_server.audit.write_hook import AuditWriteHook
from fhir_server.crypto.runtime import open_keys
from fhir_server.db import migrate
from fhir_server.db.engine import create_engine
from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from fhir_server.store.fast_reads import FastReader
from fhir_server.store.resource_store import PostgresResourceStore
from fhir_server.store.write_hooks import HookedStore
from resources import fhir_json
from resources.ports import NewResource
from resources.stored import WriteResult
from tests.integration.stored_rows import forget, index_rows, time_words, without_times
from tests.servers import sql_connection

pytestmark = pytest.mark.integration


@dataclass
class Opened:
    """A hooked store (the audit hook) on its own event loop."""

    store: HookedStore
    runner: asyncio.Runner
    database_url: str


@pytest.fixture(scope="module")
def opened(services: ServiceUrls) -> Iterator[Opened]:
    """Migrate, open the store with PHI keys and the audit hook; close it afterwards."""
    migrate.upgrade(services.database_url)
    with asyncio.Runner() as runner:
        engine = create_engine(services.database_url, 2)
        keys = runner.run(open_keys(Settings(), engine))
        reader = FastReader(services.database_url, 2)
        runner.run(reader.open())
        inner = PostgresResourceStore(engine, reader)
        try:
            yield Opened(HookedStore(inner, (AuditWriteHook(),)), runner, services.database_url)
        finally:
            runner.run(reader.close())
            runner.run(keys.close())
            runner.run(engine.dispose())


def _bodies(system: str, patient: str) -> list[dict[str, Any]]:
    subject = {"reference": f"Patient/{patient}"}
    coding = {"system": "http://loinc.org", "code": "2339-0", "display": "Glucose"}
    return [
        {
            "resourceType": "Patient",
            "identifier": [{"system": system, "value": "p-1"}],
            "name": [{"family": "Åberg", "given": ["Lena", "M"]}],
            "gender": "female",
            "birthDate": "1970-02-03",
        },
        {
            "resourceType": "Observation",
            "meta": {"tag": [{"system": system, "code": "t"}]},
            "status": "final",
            "code": {"coding": [coding], "text": "Glucose in blood"},
            "subject": subject,
            "effectiveDateTime": "2024-05-01T08:30:00+02:00",
            "valueQuantity": {
                "value": 5.40,
                "unit": "mmol/L",
                "system": "http://unitsofmeasure.org",
                "code": "mmol/L",
            },
            "component": [
                {
                    "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                    "valueQuantity": {"value": 120, "code": "mm[Hg]"},
                }
            ],
        },
        {
            "resourceType": "Condition",
            "identifier": [{"system": system, "value": "c-1"}],
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]},
            "subject": subject,
            "onsetDateTime": "2019",
        },
        {"resourceType": "Basic", "code": {"text": "nothing much to index"}},
    ]


async def _write(store: HookedStore, items: list[NewResource], many: bool) -> list[WriteResult]:
    async with store.transaction() as tx:
        if many:
            return await tx.create_many(items)
        return [await tx.create(i.resource_type, i.body, None, i.id_) for i in items]


def _rows(conn: psycopg.Connection[Any], result: WriteResult) -> dict[str, Any]:
    """What the database holds of one created resource (its audit events apart)."""
    stored = result.stored
    key = (stored.resource_type, stored.id)
    current = conn.execute(
        "SELECT version_id, deleted, last_updated FROM resource WHERE resource_type = %s"
        " AND id = %s",
        key,
    ).fetchall()
    versions = conn.execute(
        "SELECT version_id, method, deleted, body_key IS NOT NULL, body <> %s, last_updated"
        " FROM resource_version WHERE resource_type = %s AND id = %s",
        (stored.body, *key),
    ).fetchall()
    assert [row[-1] for row in current] == [stored.last_updated]
    assert [row[-1] for row in versions] == [stored.last_updated]
    body = fhir_json.loads(stored.body or b"{}")
    body["meta"].pop("lastUpdated")
    return {
        "resource": [row[:-1] for row in current],
        "versions": [row[:-1] for row in versions],  # sealed: the body is not the plain JSON
        "index": index_rows(conn, *key),
        "body": body,
        "result": (*key, stored.version, stored.method, result.created, result.issues),
    }


def _audit(conn: psycopg.Connection[Any], result: WriteResult) -> list[Any]:
    """The audit events of the resource's first version (their ids and times apart)."""
    return conn.execute(
        "SELECT action, subtype, outcome, priority, patient, entities FROM audit_event"
        " WHERE %s = ANY(entities)",
        (f"{result.stored.reference}/_history/1",),
    ).fetchall()


def test_create_many_writes_what_single_creates_write(opened: Opened) -> None:
    """The same resources with the same ids, once one by one and once together (the first
    rows removed in between): every row is the same, and so is each audit event."""
    system = f"urn:test:{uuid.uuid4().hex}"
    patient = f"cm-{uuid.uuid4().hex[:12]}"
    bodies = _bodies(system, patient)
    ids = [patient, *(f"cm-{uuid.uuid4().hex[:12]}" for _ in bodies[1:])]
    items = [NewResource(b["resourceType"], b, id_) for b, id_ in zip(bodies, ids, strict=True)]
    one_by_one = opened.runner.run(_write(opened.store, items, many=False))
    with sql_connection(opened.database_url) as conn:
        expected = [_rows(conn, result) for result in one_by_one]
        for result in one_by_one:
            forget(conn, result.stored.resource_type, result.stored.id)
    together = opened.runner.run(_write(opened.store, items, many=True))
    times = time_words(r.stored.last_updated for r in [*one_by_one, *together])
    with sql_connection(opened.database_url) as conn:
        found = [_rows(conn, result) for result in together]
        for rows in (*found, *expected):
            rows["index"] = without_times(rows["index"], times)
        assert found == expected
        for result in together:
            first, second = _audit(conn, result)
            assert first == second
            assert first[1] == "create"
    assert any(expected[1]["index"].values())  # the Observation has index rows to compare
    assert expected[0]["index"]["search_token"]  # and the Patient too


def test_create_many_without_ids_gives_new_ids_in_order(opened: Opened) -> None:
    bodies = _bodies(f"urn:test:{uuid.uuid4().hex}", f"cm-{uuid.uuid4().hex[:12]}")
    items = [NewResource(b["resourceType"], b) for b in bodies]
    together = opened.runner.run(_write(opened.store, items, many=True))
    assert [r.stored.resource_type for r in together] == [b["resourceType"] for b in bodies]
    assert len({r.stored.id for r in together}) == len(bodies)
    assert all(r.created and r.stored.version == 1 for r in together)
    with sql_connection(opened.database_url) as conn:
        for result in together:
            assert _rows(conn, result)["body"]["id"] == result.stored.id
            assert len(_audit(conn, result)) == 1


def test_create_many_of_nothing_writes_nothing(opened: Opened) -> None:
    assert opened.runner.run(_write(opened.store, [], many=True)) == []


def test_a_put_creates_a_new_id_and_updates_an_existing_one(opened: Opened) -> None:
    """PUTs to ids: a new id is created (version 1, method PUT), an existing one gets its
    next version and a deleted one comes back, as ``update`` does; one audit event each."""
    system = f"urn:test:{uuid.uuid4().hex}"
    bodies = _bodies(system, f"cm-{uuid.uuid4().hex[:12]}")[1:3]
    ids = [f"cm-{uuid.uuid4().hex[:12]}" for _ in range(3)]
    opened.runner.run(
        _write(
            opened.store,
            [NewResource(b["resourceType"], b, i) for b, i in zip(bodies, ids[1:], strict=True)],
            many=False,
        )
    )
    opened.runner.run(opened.store.delete("Condition", ids[2], None))
    puts = [
        NewResource(b["resourceType"], {**b, "id": i}, i, "PUT")
        for b, i in zip([bodies[0], *bodies], ids, strict=True)
    ]
    together = opened.runner.run(_write(opened.store, puts, many=True))
    assert [(r.stored.id, r.stored.version, r.created) for r in together] == [
        (ids[0], 1, True),
        (ids[1], 2, False),
        (ids[2], 3, False),
    ]
    assert {r.stored.method for r in together} == {"PUT"}
    with sql_connection(opened.database_url) as conn:
        for result in together:
            history = conn.execute(
                "SELECT version_id, method FROM resource_version WHERE resource_type = %s"
                " AND id = %s ORDER BY txid",
                (result.stored.resource_type, result.stored.id),
            ).fetchall()
            assert history[-1] == (result.stored.version, "PUT")
            current = conn.execute(
                "SELECT version_id, deleted FROM resource WHERE resource_type = %s AND id = %s",
                (result.stored.resource_type, result.stored.id),
            ).fetchall()
            assert current == [(result.stored.version, False)]
            assert index_rows(conn, result.stored.resource_type, result.stored.id)["search_token"]
            subtypes = conn.execute(
                "SELECT subtype FROM audit_event WHERE %s = ANY(entities)",
                (f"{result.stored.reference}/_history/{result.stored.version}",),
            ).fetchall()
            assert subtypes == [("create",) if result.created else ("update",)]
