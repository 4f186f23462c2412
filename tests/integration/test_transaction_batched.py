"""Transaction Bundles whose unconditional POSTs are written together (``create_many``):
references among them resolve, every one is audited, the write hooks that need a resource
alone still see it in order, and a failure anywhere leaves none of them behind.

https://hl7.org/fhir/R4/http.html#transaction
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest

from fhir_server.embedded import ServiceUrls
from fhir_server.http import bundle_routes
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
from tests.integration.fhir_http import create_patient, entries_of, outcome_codes, unique_system
from tests.integration.safety.helpers import allergy, intake
from tests.servers import sql_connection

pytestmark = pytest.mark.integration

OBSERVATIONS = 12


def _observation(subject: str, system: str, n: int, encounter: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Observation",
        "identifier": [{"system": system, "value": f"obs-{n}"}],
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2339-0"}]},
        "subject": {"reference": subject},
        "valueQuantity": {"value": n, "unit": "mmol/L", "code": "mmol/L"},
    }
    if encounter is not None:
        body["encounter"] = {"reference": encounter}
    return body


def _search(client: httpx.Client, query: str) -> list[dict[str, Any]]:
    found = client.get(query)
    assert found.status_code == 200, found.text
    return [e["resource"] for e in entries_of(found.json(), "match")]


def _created_events(conn: psycopg.Connection[Any], reference: str) -> list[Any]:
    query = "SELECT subtype FROM audit_event WHERE %s = ANY(entities)"
    return conn.execute(query, (f"{reference}/_history/1",)).fetchall()


def test_placeholder_references_among_batched_posts_resolve(
    client: httpx.Client, services: ServiceUrls
) -> None:
    system = unique_system()
    patient_url, encounter_url = f"urn:uuid:{uuid.uuid4()}", f"urn:uuid:{uuid.uuid4()}"
    encounter = {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {"code": "AMB"},
        "subject": {"reference": patient_url},
    }
    observations = [
        post_entry(_observation(patient_url, system, n, encounter_url), f"urn:uuid:{uuid.uuid4()}")
        for n in range(OBSERVATIONS)
    ]
    entries = [
        *observations[:4],  # before the entries they name: ids are assigned ahead
        post_entry({"resourceType": "Patient", "active": True}, patient_url),
        post_entry(encounter, encounter_url),
        *observations[4:],
    ]
    answer = post_bundle(client, bundle("transaction", entries))
    assert statuses(answer) == ["201 Created"] * len(entries)
    patient, encounter_ref = (reference_of(e) for e in answer["entry"][4:6])
    for entry in answer["entry"][:4] + answer["entry"][6:]:
        assert entry["resource"]["subject"] == {"reference": patient}
        assert entry["resource"]["encounter"] == {"reference": encounter_ref}
    assert answer["entry"][5]["resource"]["subject"] == {"reference": patient}
    found = _search(client, f"/Observation?subject={patient}&encounter={encounter_ref}&_count=50")
    assert len(found) == OBSERVATIONS
    assert len(_search(client, f"/Observation?identifier={system}|obs-7")) == 1
    with sql_connection(services.database_url) as conn:  # the audit hook saw every one of them
        for entry in answer["entry"]:
            assert _created_events(conn, reference_of(entry)) == [("create",)]


def test_a_failure_after_the_batched_posts_leaves_none_of_them(
    client: httpx.Client, services: ServiceUrls
) -> None:
    system = unique_system()
    subject = f"Patient/{create_patient(client)['id']}"
    existing = f"Patient/{create_patient(client)['id']}"
    posts = [post_entry(_observation(subject, system, n)) for n in range(OBSERVATIONS)]
    stale = {
        "resource": {"resourceType": "Patient", "id": existing.split("/")[1], "active": False},
        "request": {"method": "PUT", "url": existing, "ifMatch": 'W/"7"'},
    }
    failing = post_bundle(client, bundle("transaction", [*posts, stale]), 412)
    assert error_codes.VERSION_CONFLICT in outcome_codes(failing)
    assert f"Bundle.entry[{OBSERVATIONS}]" in failing["issue"][0]["diagnostics"]
    count = "SELECT count(*) FROM audit_event WHERE patient = %s AND subtype = 'create'"
    references = "SELECT count(*) FROM search_reference WHERE target_id = %s"
    with sql_connection(services.database_url) as conn:
        assert _search(client, f"/Observation?identifier={system}|") == []
        assert conn.execute(references, (subject.split("/")[1],)).fetchone() == (0,)
        assert conn.execute(count, (subject.split("/")[1],)).fetchone() == (1,)  # its own
    post_bundle(client, bundle("transaction", posts))  # the same creates alone succeed
    assert len(_search(client, f"/Observation?identifier={system}|&_count=50")) == OBSERVATIONS
    with sql_connection(services.database_url) as conn:
        expected = OBSERVATIONS * 2  # subject and patient
        assert conn.execute(references, (subject.split("/")[1],)).fetchone() == (expected,)
        assert conn.execute(count, (subject.split("/")[1],)).fetchone() == (OBSERVATIONS + 1,)


def test_an_invalid_post_among_batched_ones_is_named_and_rolls_back(
    client: httpx.Client,
) -> None:
    system = unique_system()
    subject = f"Patient/{create_patient(client)['id']}"
    posts = [post_entry(_observation(subject, system, n)) for n in range(6)]
    posts[3]["resource"]["valueQuantity"]["value"] = "not a number"
    failing = post_bundle(client, bundle("transaction", posts), 400)
    assert "Bundle.entry[3]" in failing["issue"][0]["diagnostics"]
    assert _search(client, f"/Observation?identifier={system}|") == []


def test_an_audit_event_among_batched_posts_is_refused_by_its_entry(
    client: httpx.Client,
) -> None:
    system = unique_system()
    subject = f"Patient/{create_patient(client)['id']}"
    posts = [post_entry(_observation(subject, system, n)) for n in range(4)]
    failing = post_bundle(
        client, bundle("transaction", [*posts[:2], post_entry(AUDIT_EVENT), *posts]), 405
    )
    assert error_codes.AUDIT_READ_ONLY in outcome_codes(failing)
    assert "Bundle.entry[2]" in failing["issue"][0]["diagnostics"]
    assert _search(client, f"/Observation?identifier={system}|") == []


def test_a_hook_that_reads_sees_the_creates_before_it(client: httpx.Client) -> None:
    """The safety re-check of an intake reads the patient's allergies: one created earlier
    in the same transaction, between batched creates, is seen; creates after it are not
    needed for it and still land."""
    system = unique_system()
    patient_url = f"urn:uuid:{uuid.uuid4()}"
    entries = [
        post_entry({"resourceType": "Patient", "active": True}, patient_url),
        *(post_entry(_observation(patient_url, system, n)) for n in range(3)),
        post_entry(allergy(patient_url, "Tree nuts", "13577000")),
        post_entry(_observation(patient_url, system, 3)),
        post_entry(intake(patient_url, "pecan pie")),
        *(post_entry(_observation(patient_url, system, n)) for n in range(4, 7)),
    ]
    answer = post_bundle(client, bundle("transaction", entries), Prefer="return=OperationOutcome")
    assert statuses(answer) == ["201 Created"] * len(entries)
    outcome = answer["entry"][6]["response"]["outcome"]
    assert any(issue["severity"] == "warning" for issue in outcome["issue"])
    patient = reference_of(answer["entry"][0])
    issues = _search(client, f"/DetectedIssue?patient={patient}")
    assert [issue["severity"] for issue in issues] == ["high"]
    assert len(_search(client, f"/Observation?subject={patient}&_count=50")) == 7


def test_puts_to_ids_create_the_new_and_update_the_existing(
    client: httpx.Client, services: ServiceUrls
) -> None:
    system = unique_system()
    subject = f"Patient/{create_patient(client)['id']}"
    ids = [f"bp-{uuid.uuid4().hex[:16]}" for _ in range(6)]
    bodies = [{**_observation(subject, system, n), "id": id_} for n, id_ in enumerate(ids)]
    assert client.put(f"/Observation/{ids[2]}", json=bodies[2]).status_code == 201
    answer = post_bundle(client, bundle("transaction", [put_entry(b) for b in bodies]))
    assert statuses(answer) == ["201 Created"] * 2 + ["200 OK"] + ["201 Created"] * 3
    assert [e["response"]["etag"] for e in answer["entry"]] == ['W/"1"'] * 2 + ['W/"2"'] + [
        'W/"1"'
    ] * 3
    assert len(_search(client, f"/Observation?identifier={system}|&_count=50")) == len(ids)
    with sql_connection(services.database_url) as conn:
        query = "SELECT subtype FROM audit_event WHERE %s = ANY(entities)"
        assert conn.execute(query, (f"Observation/{ids[2]}/_history/2",)).fetchall() == [
            ("update",)
        ]
        for id_ in ids[:2] + ids[3:]:
            assert _created_events(conn, f"Observation/{id_}") == [("create",)]


def test_two_puts_to_one_id_are_refused_naming_the_second(client: httpx.Client) -> None:
    system = unique_system()
    subject = f"Patient/{create_patient(client)['id']}"
    id_ = f"bp-{uuid.uuid4().hex[:16]}"
    body = {**_observation(subject, system, 1), "id": id_}
    other = {**_observation(subject, system, 2), "id": f"bp-{uuid.uuid4().hex[:16]}"}
    failing = post_bundle(
        client, bundle("transaction", [put_entry(body), put_entry(other), put_entry(body)]), 400
    )
    assert error_codes.BUNDLE_DUPLICATE_TARGET in outcome_codes(failing)
    assert "Bundle.entry[2]" in failing["issue"][0]["diagnostics"]
    assert client.get(f"/Observation/{id_}").status_code == 404


def test_a_run_longer_than_a_batch_is_written_in_several(
    client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cap on creates per statement (1,000) splits a run: references cross the splits
    both ways, and an invalid entry in the last part rolls back the parts written before."""
    monkeypatch.setattr(bundle_routes, "WRITE_BATCH", 5)  # the server runs in this process
    system = unique_system()
    patient_url = f"urn:uuid:{uuid.uuid4()}"
    posts = [post_entry(_observation(patient_url, system, n)) for n in range(OBSERVATIONS)]
    patient = post_entry({"resourceType": "Patient", "active": True}, patient_url)
    invalid = [*posts, patient]
    invalid[OBSERVATIONS - 1]["resource"]["valueQuantity"]["value"] = "not a number"
    failing = post_bundle(client, bundle("transaction", invalid), 400)
    assert f"Bundle.entry[{OBSERVATIONS - 1}]" in failing["issue"][0]["diagnostics"]
    assert _search(client, f"/Observation?identifier={system}|") == []
    posts = [post_entry(_observation(patient_url, system, n)) for n in range(OBSERVATIONS)]
    entries = [*posts[:7], patient, *posts[7:]]  # named before and after, in other parts
    answer = post_bundle(client, bundle("transaction", entries))
    assert statuses(answer) == ["201 Created"] * len(entries)
    subject = reference_of(answer["entry"][7])
    found = _search(client, f"/Observation?subject={subject}&_count=50")
    assert sorted(o["identifier"][0]["value"] for o in found) == sorted(
        f"obs-{n}" for n in range(OBSERVATIONS)
    )
