"""NDJSON loaded the bulk way (``Loader.lines``: ready lines written together, in the loading
process or with worker processes) writes exactly what the ordinary way writes (each batch as a
transaction Bundle of PUTs, ``Loader.transaction_lines``): resource and version rows, index
rows of every table (PHI values as keyed digests), the safety re-check's findings, audit
events, and the same refusals, line by line."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import re
import signal
import tempfile
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic import SecretStr

from fhir_server.bulk.loader import Loaded, Loader
from fhir_server.composition import OpenStore, open_store
from fhir_server.db import migrate
from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from resources import fhir_json
from resources.search.registry import default_registry
from tests.integration.safety.helpers import allergy, intake
from tests.integration.stored_rows import forget, index_rows, time_words, without_times
from tests.servers import sql_connection

pytestmark = pytest.mark.integration
BASE = "http://localhost/fhir"
INSTANT = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
Load = Callable[[Loader, list[tuple[int, bytes]]], Coroutine[Any, Any, Loaded]]


@dataclass
class Opened:
    """The store every entry point opens (keys, safety re-check, audit) on its own loop."""

    opened: OpenStore
    runner: asyncio.Runner
    database_url: str


@pytest.fixture(scope="module")
def opened(services: ServiceUrls, master_key: SecretStr) -> Iterator[Opened]:
    """Migrate and open the store; close it afterwards."""
    migrate.upgrade(services.database_url)
    with (
        tempfile.TemporaryDirectory(prefix="nutrivision-import-rows-") as folder,
        asyncio.Runner() as runner,
    ):
        settings = Settings(data_dir=Path(folder), auth_required=False, master_key=master_key)
        context = open_store(settings, services.database_url, 2)
        store = runner.run(context.__aenter__())
        try:
            yield Opened(store, runner, services.database_url)
        finally:
            runner.run(context.__aexit__(None, None, None))


def _resources(tag: str) -> list[dict[str, Any]]:
    """A patient's record: PHI strings, decimals, a composite, and the types the safety
    re-check watches (a tree-nut allergy and a pecan pie: it stores a finding)."""
    patient = f"Patient/p-{tag}"
    return [
        {
            "resourceType": "Patient",
            "id": f"p-{tag}",
            "identifier": [{"system": "urn:test:mrn", "value": f"mrn-{tag}"}],
            "name": [{"family": "Åberg", "given": ["Lena", "M"]}],
            "telecom": [{"system": "phone", "value": "+46 70 123 45 67"}],
            "gender": "female",
            "birthDate": "1970-02-03",
        },
        {
            "resourceType": "Observation",
            "id": f"o-{tag}",
            "meta": {"tag": [{"system": "urn:test", "code": "t"}]},
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "2339-0"}], "text": "Gl"},
            "subject": {"reference": patient},
            "effectiveDateTime": "2024-05-01T08:30:00+02:00",
            "valueQuantity": {"value": 5.40, "unit": "mmol/L", "code": "mmol/L"},
            "component": [
                {
                    "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                    "valueQuantity": {"value": 120.0, "code": "mm[Hg]"},
                }
            ],
        },
        {**allergy(patient, "Tree nuts", "13577000"), "id": f"a-{tag}"},
        {**intake(patient, "pecan pie"), "id": f"i-{tag}"},
        {
            "resourceType": "MedicationStatement",
            "id": f"m-{tag}",
            "status": "active",
            "medicationCodeableConcept": {
                "coding": [
                    {
                        "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                        "code": "11289",
                        "display": "Warfarin",
                    }
                ]
            },
            "subject": {"reference": patient},
        },
        {"resourceType": "Basic", "id": f"b-{tag}", "code": {"text": "nothing much"}},
    ]


def _lines(resources: list[dict[str, Any]]) -> list[tuple[int, bytes]]:
    return [(n, json.dumps(r).encode()) for n, r in enumerate(resources, start=1)]


def _normalised(value: Any, fresh: dict[str, str]) -> Any:
    """``value`` with the ids the write gave (the re-check's findings) named by order."""
    text = json.dumps(value, default=str, sort_keys=True)
    for id_, name in fresh.items():
        text = text.replace(id_, name)
    return json.loads(text)


def _written(conn: psycopg.Connection[Any], since: datetime) -> list[tuple[str, str, datetime]]:
    """Every resource written since ``since``: the lines' and the re-check's findings."""
    return conn.execute(
        "SELECT resource_type, id, last_updated FROM resource WHERE last_updated >= %s",
        (since,),
    ).fetchall()


def _body(opened: Opened, kind: str, id_: str) -> dict[str, Any]:
    """The body as the store answers a read (decrypted), its time left out."""
    stored = opened.runner.run(opened.opened.store.read(kind, id_))
    assert stored is not None, f"{kind}/{id_} missing"
    assert stored.body is not None
    body: dict[str, Any] = fhir_json.loads(stored.body)
    body["meta"].pop("lastUpdated")
    return body


def _snapshot(opened: Opened, since: datetime, ids: set[str]) -> tuple[Any, frozenset[int]]:
    """Every resource written since ``since``, its version rows, body and index rows, and
    the audit events, with the full-text words of its times; then its rows removed."""
    with sql_connection(opened.database_url) as conn:
        written = _written(conn, since)
    bodies = [_body(opened, kind, id_) for kind, id_, _ in written]
    fresh = {id_: f"<new {kind}>" for kind, id_, _ in written if id_ not in ids}
    times = time_words(row[2] for row in written)
    found = []
    with sql_connection(opened.database_url) as conn:
        for (kind, id_, _), body in zip(written, bodies, strict=True):
            versions = conn.execute(
                "SELECT version_id, method, deleted, body_key IS NOT NULL"
                " FROM resource_version WHERE resource_type = %s AND id = %s",
                (kind, id_),
            ).fetchall()
            found.append([kind, id_, versions, body, index_rows(conn, kind, id_)])
            forget(conn, kind, id_)
        events = conn.execute(
            "SELECT action, subtype, outcome, priority, patient, entities FROM audit_event"
            " WHERE recorded >= %s",
            (since,),
        ).fetchall()
    return {"resources": found, "audit": events, "fresh": fresh}, times


def _compared(snapshot: Any, times: frozenset[int]) -> Any:
    """The snapshot without the words of ``times`` (both loads': a word of one time can be a
    word of the resources too), ids the write gave named by type, sorted. The re-check's
    findings hold the time they were found at: in their bodies and date rows it is named
    ``<time>``, and their full-text rows (words of it) are left out."""
    for item in snapshot["resources"]:
        item[4] = without_times(item[4], times)
        if item[1] in snapshot["fresh"]:
            item[3] = json.loads(INSTANT.sub("<time>", json.dumps(item[3])))
            item[4]["search_date"] = json.loads(
                INSTANT.sub("<time>", json.dumps(item[4]["search_date"], default=str))
            )
            item[4].pop("search_text")
    normalised = _normalised({k: snapshot[k] for k in ("resources", "audit")}, snapshot["fresh"])
    return {key: sorted(value, key=repr) for key, value in normalised.items()}


def _run(opened: Opened, load: Load, workers: int, lines: list[tuple[int, bytes]]) -> Any:
    loader = Loader(opened.opened.store, default_registry(), BASE, workers)
    try:
        return opened.runner.run(load(loader, lines))
    finally:
        loader.close()


async def _ordinary(loader: Loader, lines: list[tuple[int, bytes]]) -> Loaded:
    return await loader.transaction_lines(lines)


async def _bulk(loader: Loader, lines: list[tuple[int, bytes]]) -> Loaded:
    return await loader.lines(lines)


def _load_and_take(
    opened: Opened, load: Load, workers: int, tag: str
) -> tuple[Loaded, Any, frozenset[int]]:
    resources = _resources(tag)
    with sql_connection(opened.database_url) as conn:
        since = conn.execute("SELECT now()").fetchone()
    assert since is not None
    loaded = _run(opened, load, workers, _lines(resources))
    return (loaded, *_snapshot(opened, since[0], {r["id"] for r in resources}))


@pytest.mark.parametrize("workers", [0, 1])
def test_bulk_lines_write_what_a_transaction_of_puts_writes(opened: Opened, workers: int) -> None:
    """The same lines (same ids) the ordinary way, then the bulk way, the first rows removed
    in between: every row, finding and audit event is the same."""
    tag = uuid.uuid4().hex[:10]
    expected_loaded, expected, before = _load_and_take(opened, _ordinary, 0, tag)
    loaded, found, after = _load_and_take(opened, _bulk, workers, tag)
    expected, found = _compared(expected, before | after), _compared(found, before | after)
    assert (loaded.resources, loaded.errors) == (expected_loaded.resources, []) == (6, [])
    assert loaded.together == 6  # the bulk way was taken, not the ordinary one
    assert found == expected
    types = [row[0] for row in expected["resources"]]
    assert {"Flag", "DetectedIssue"} & set(types), types  # the re-check stored findings
    patient = next(r for r in expected["resources"] if r[0] == "Patient")
    assert patient[4]["search_token"]  # rows to compare
    assert patient[4]["search_text"]


def _mixed(tag: str) -> list[tuple[int, bytes]]:
    """Good lines and every kind of refused line."""
    good = _resources(tag)
    lines = [json.dumps(r).encode() for r in good]
    lines.insert(1, b"not json")
    lines.insert(2, json.dumps({"resourceType": "Patient", "id": f"x-{tag}", "gender": 7}).encode())
    lines.insert(3, json.dumps({"resourceType": "Patient", "id": "bad id!"}).encode())
    lines.insert(4, json.dumps({"resourceType": "Nonsense", "id": f"n-{tag}"}).encode())
    lines.insert(5, b"[1, 2]")
    return list(enumerate(lines, start=1))


@pytest.mark.parametrize("workers", [0, 1])
def test_bulk_lines_refuse_what_the_ordinary_way_refuses(opened: Opened, workers: int) -> None:
    """A batch with bad lines: the same lines refused with the same outcomes, the same
    resources loaded."""
    tag = uuid.uuid4().hex[:10]
    lines = _mixed(tag)
    expected = _run(opened, _ordinary, 0, lines)
    with sql_connection(opened.database_url) as conn:
        for resource in _resources(tag):
            forget(conn, resource["resourceType"], resource["id"])
    found = _run(opened, _bulk, workers, lines)
    assert [e.line for e in expected.errors] == [2, 3, 4, 5, 6]
    assert found.errors == expected.errors
    assert found.resources == expected.resources == 6
    assert found.together == 6


def test_a_batch_naming_a_resource_twice_loads_as_the_ordinary_way(opened: Opened) -> None:
    """Two lines for one id: the ordinary way (one by one, the last line wins)."""
    tag = uuid.uuid4().hex[:10]
    first = {"resourceType": "Basic", "id": f"twice-{tag}", "code": {"text": "first"}}
    second = {**first, "code": {"text": "second"}}
    found = _run(opened, _bulk, 0, _lines([first, second]))
    assert (found.resources, found.errors, found.together) == (2, [], 0)
    stored = opened.runner.run(opened.opened.store.read("Basic", f"twice-{tag}"))
    assert stored is not None
    assert stored.version == 2
    assert fhir_json.loads(stored.body or b"{}")["code"]["text"] == "second"


@pytest.mark.parametrize("fault", [signal.SIGKILL, signal.SIGSTOP], ids=["killed", "stopped"])
def test_a_lost_or_stuck_worker_leaves_the_work_to_the_loading_process(
    opened: Opened, fault: signal.Signals
) -> None:
    """A worker killed, or stopped for good (as one waiting on a lock held at the fork would
    be): the next batch is prepared in the loading process, and every line is loaded."""
    loader = Loader(opened.opened.store, default_registry(), BASE, 1)
    loader.prepare_timeout_s = 2.0
    try:
        first = opened.runner.run(loader.lines(_lines(_resources(uuid.uuid4().hex[:10]))))
        assert (first.resources, first.together, loader.workers) == (6, 6, 1)
        workers = multiprocessing.active_children()
        assert workers, "no worker process"
        for worker in workers:
            os.kill(worker.pid or 0, fault)
        resources = _resources(uuid.uuid4().hex[:10])
        found = opened.runner.run(loader.lines(_lines(resources)))
        assert (found.resources, found.errors, found.together) == (6, [], 6)
        assert loader.workers == 0  # the rest of the import runs without workers
        for resource in resources:
            stored = opened.runner.run(
                opened.opened.store.read(resource["resourceType"], resource["id"])
            )
            assert stored is not None
        for worker in workers:
            worker.join(5)
            assert not worker.is_alive(), "a stuck worker was left behind"
    finally:
        loader.close()
