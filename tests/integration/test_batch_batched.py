"""Batch Bundles whose plain POSTs and PUTs to an id are written together: each entry still
succeeds or fails on its own, a joint write the database refuses is done again one entry
per transaction, and the rows written are those of one request per resource.

https://hl7.org/fhir/R4/http.html#transaction
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from fhir_server.embedded import ServiceUrls
from resources import error_codes
from tests.integration.bundle_http import (
    AUDIT_EVENT,
    bundle,
    post_bundle,
    post_entry,
    put_entry,
    reference_of,
    statuses,
)
from tests.integration.fhir_http import create_patient, outcome_codes, unique_system
from tests.integration.stored_rows import forget, index_rows, time_words, without_times
from tests.servers import sql_connection

pytestmark = pytest.mark.integration


def _observation(subject: str, system: str, n: int) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "identifier": [{"system": system, "value": f"obs-{n}"}],
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2339-0"}]},
        "subject": {"reference": subject},
        "effectiveDateTime": "2024-05-01T08:30:00+02:00",
        "valueQuantity": {"value": 5 + n, "unit": "mmol/L", "code": "mmol/L"},
    }


def _events(conn: psycopg.Connection[Any], reference: str, version: int = 1) -> list[Any]:
    """The audit events of one version (their ids and times apart)."""
    query = (
        "SELECT action, subtype, outcome, priority, patient, entities FROM audit_event"
        " WHERE %s = ANY(entities)"
    )
    return conn.execute(query, (f"{reference}/_history/{version}",)).fetchall()


def _identified(client: httpx.Client, system: str) -> list[str]:
    found = client.get("/Observation", params={"identifier": f"{system}|", "_count": "100"})
    assert found.status_code == 200, found.text
    return sorted(e["resource"]["identifier"][0]["value"] for e in found.json().get("entry", []))


def test_a_mixed_batch_answers_each_entry_on_its_own(
    client: httpx.Client, services: ServiceUrls
) -> None:
    """A refused type, valid creates around an invalid one, a conditional create that finds
    its match, a placeholder reference and a GET: each its own status, in order, every valid
    one stored and audited once."""
    system = unique_system()
    subject = f"Patient/{create_patient(client)['id']}"
    existing = client.post("/Observation", json=_observation(subject, system, 90))
    assert existing.status_code == 201
    invalid = {**_observation(subject, system, 2), "valueQuantity": {"value": "not a number"}}
    conditional = post_entry(
        _observation(subject, system, 91), ifNoneExist=f"identifier={system}|obs-90"
    )
    placeholder = {**_observation(subject, system, 4), "subject": {"reference": "urn:uuid:x"}}
    entries = [
        post_entry(AUDIT_EVENT),
        post_entry(_observation(subject, system, 0)),
        post_entry(_observation(subject, system, 1)),
        post_entry(invalid),
        conditional,
        post_entry(placeholder),
        {"request": {"method": "GET", "url": f"Observation?identifier={system}|obs-0"}},
        post_entry(_observation(subject, system, 5)),
    ]
    answer = post_bundle(client, bundle("batch", entries))
    assert outcome_codes(answer["entry"][0]["response"]["outcome"]) == [error_codes.AUDIT_READ_ONLY]
    del answer["entry"][0]  # the rest by their index in ``entries`` less one
    assert statuses(answer) == [
        "201 Created",
        "201 Created",
        "400 Bad Request",
        "200 OK",
        "400 Bad Request",
        "200 OK",
        "201 Created",
    ]
    outcome = answer["entry"][2]["response"]["outcome"]
    assert outcome_codes(outcome)[0] == error_codes.RESOURCE_INVALID
    assert outcome["issue"][0]["expression"][0] == "Bundle.entry[3]"
    assert reference_of(answer["entry"][3]) == f"Observation/{existing.json()['id']}"
    placeholder_outcome = answer["entry"][4]["response"]["outcome"]
    assert error_codes.BUNDLE_UNRESOLVED_REFERENCE in outcome_codes(placeholder_outcome)
    searched = answer["entry"][5]["resource"].get("entry", [])
    assert len(searched) == 1  # the run before the GET is written before it
    assert _identified(client, system) == ["obs-0", "obs-1", "obs-5", "obs-90"]
    with sql_connection(services.database_url) as conn:
        for n in (0, 1, 6):
            created = _events(conn, reference_of(answer["entry"][n]))
            assert [row[1] for row in created] == ["create"]


@contextmanager
def _refused_id(services: ServiceUrls, refused: str) -> Iterator[None]:
    """The database refuses a resource row with the id ``refused`` (a trigger of its own)."""
    name = f"refuse_{uuid.uuid4().hex[:12]}"
    with sql_connection(services.database_url) as conn:
        conn.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
        )
        conn.execute(
            f"CREATE TRIGGER {name} BEFORE INSERT ON resource FOR EACH ROW"
            f" WHEN (NEW.id = '{refused}') EXECUTE FUNCTION {name}()"
        )
        try:
            yield
        finally:
            conn.execute(f"DROP TRIGGER {name} ON resource")
            conn.execute(f"DROP FUNCTION {name}()")


def test_a_joint_write_refused_by_the_database_is_done_one_by_one(
    client: httpx.Client, services: ServiceUrls
) -> None:
    """One PUT the database refuses: the joint write fails as a whole, then each entry
    alone, so the others are written once and the refused one alone is a 500 of its own."""
    system = unique_system()
    subject = f"Patient/{create_patient(client)['id']}"
    ids = [f"bb-{uuid.uuid4().hex[:16]}" for _ in range(4)]
    bodies = [{**_observation(subject, system, n), "id": id_} for n, id_ in enumerate(ids)]
    entries = [post_entry(_observation(subject, system, 10)), *(put_entry(b) for b in bodies)]
    with _refused_id(services, ids[2]):
        answer = post_bundle(client, bundle("batch", entries))
    assert statuses(answer) == ["201 Created"] * 3 + ["500 Internal Server Error", "201 Created"]
    outcome = answer["entry"][3]["response"]["outcome"]
    assert outcome_codes(outcome) == [error_codes.INTERNAL]
    assert outcome["issue"][0]["expression"] == ["Bundle.entry[3]"]
    assert "refused by the test" not in str(outcome)  # no internals in the answer
    assert client.get(f"/Observation/{ids[2]}").status_code == 404
    assert _identified(client, system) == ["obs-0", "obs-1", "obs-10", "obs-3"]
    with sql_connection(services.database_url) as conn:
        for n in (0, 1, 2, 4):
            reference = reference_of(answer["entry"][n])
            assert [row[1] for row in _events(conn, reference)] == ["create"]
        assert _events(conn, f"Observation/{ids[2]}") == []
        versions = conn.execute(
            "SELECT count(*) FROM resource_version WHERE resource_type = 'Observation'"
            " AND id = ANY(%s)",
            (ids,),
        ).fetchone()
        assert versions == (3,)


def _stored(conn: psycopg.Connection[Any], reference: str) -> dict[str, Any]:
    """What the database holds of a resource, its ids of events and sealing apart; its time
    under ``time``."""
    type_, id_ = reference.split("/")
    return {
        "resource": conn.execute(
            "SELECT version_id, deleted FROM resource WHERE resource_type = %s AND id = %s",
            (type_, id_),
        ).fetchall(),
        "versions": conn.execute(
            "SELECT version_id, method, deleted, body_key IS NOT NULL FROM resource_version"
            " WHERE resource_type = %s AND id = %s",
            (type_, id_),
        ).fetchall(),
        "index": index_rows(conn, type_, id_),
        "audit": _events(conn, reference),
        "time": conn.execute(
            "SELECT last_updated FROM resource WHERE resource_type = %s AND id = %s",
            (type_, id_),
        ).fetchone(),
    }


def test_a_batch_writes_what_one_request_per_resource_writes(
    client: httpx.Client, services: ServiceUrls
) -> None:
    """The same PUTs, once as single requests and once in one batch (the first rows removed
    in between): resource, version and index rows are the same, and so are the events."""
    system = unique_system()
    subject = f"Patient/{create_patient(client)['id']}"
    bodies = [
        {**_observation(subject, system, n), "id": f"bb-{uuid.uuid4().hex[:16]}"} for n in range(3)
    ]
    bodies.append(
        {
            "resourceType": "Condition",
            "id": f"bb-{uuid.uuid4().hex[:16]}",
            "identifier": [{"system": system, "value": "c-1"}],
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]},
            "subject": {"reference": subject},
            "onsetDateTime": "2019",
        }
    )
    references = [f"{b['resourceType']}/{b['id']}" for b in bodies]
    for body, reference in zip(bodies, references, strict=True):
        assert client.put(f"/{reference}", json=body).status_code == 201
    with sql_connection(services.database_url) as conn:
        alone = [_stored(conn, r) for r in references]
        for reference in references:
            forget(conn, *reference.split("/"))
    answer = post_bundle(client, bundle("batch", [put_entry(b) for b in bodies]))
    assert statuses(answer) == ["201 Created"] * len(bodies)
    with sql_connection(services.database_url) as conn:
        together = [_stored(conn, r) for r in references]
    times = time_words(stored.pop("time")[0] for stored in [*alone, *together])
    for one, joint in zip(alone, together, strict=True):
        one["index"] = without_times(one["index"], times)
        joint["index"] = without_times(joint["index"], times)
        first, second = joint.pop("audit")
        assert one.pop("audit") == [first]
        assert first == second
        assert joint == one
    assert alone[0]["index"]["search_token"]  # there are index rows to compare
    assert alone[0]["index"]["search_reference"]


@contextmanager
def _statements() -> Iterator[list[str]]:
    """The writes (INSERTs, also in a CTE) every engine of this process sends while the block
    runs: the audit trail's sealing and the job runner update and read in the background."""
    sent: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith(("INSERT", "WITH")):
            sent.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def test_a_batch_of_creates_costs_the_same_statements_however_many(client: httpx.Client) -> None:
    """Written together, 30 creates cost the writes of 2 (resource rows, version and index
    rows, audit events: one statement each), not 30 times as many."""
    system = unique_system()
    subject = f"Patient/{create_patient(client)['id']}"
    sent = []
    for size in (2, 30):
        entries = [post_entry(_observation(subject, system, n)) for n in range(size)]
        with _statements() as statements:
            answer = post_bundle(client, bundle("batch", entries))
        assert statuses(answer) == ["201 Created"] * size
        sent.append(len(statements))
    assert sent == [3, 3]


def test_a_write_the_token_may_not_make_is_refused_by_its_entry_alone(
    auth_base_url: str, mint_token: Callable[..., str], client: httpx.Client
) -> None:
    """A PUT of a type outside the token's scopes, between creates it may make: only that
    entry is 403, the creates before and after it are written."""
    system = unique_system()
    token = mint_token("system/Observation.cruds system/Patient.cruds")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}
    with httpx.Client(base_url=auth_base_url, headers=headers, timeout=30) as scoped:
        subject = f"Patient/{create_patient(scoped)['id']}"
        condition_id = f"bb-{uuid.uuid4().hex[:16]}"
        condition = {
            "resourceType": "Condition",
            "id": condition_id,
            "code": {"text": "refused"},
            "subject": {"reference": subject},
        }
        entries = [
            post_entry(_observation(subject, system, 0)),
            put_entry(condition),
            post_entry(_observation(subject, system, 1)),
        ]
        answer = post_bundle(scoped, bundle("batch", entries))
        assert statuses(answer) == ["201 Created", "403 Forbidden", "201 Created"]
        assert answer["entry"][1]["response"]["outcome"]["issue"][0]["expression"] == [
            "Bundle.entry[1]"
        ]
    assert _identified(client, system) == ["obs-0", "obs-1"]  # the same database, auth off
    assert client.get(f"/Condition/{condition_id}").status_code == 404
