"""The audit trail over HTTP: an AuditEvent per access, who and what, no PHI, auditors only."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from fhir_server.embedded import ServiceUrls
from tests.auth_fixtures import BackendClient, TokenMinter
from tests.integration.audit.helpers import (
    AUDITOR,
    audit_search,
    bearer,
    connect,
    decoded_query,
    wait_for_events,
    write,
)

pytestmark = pytest.mark.integration

FAMILY = "Quillfeather"
BIRTH = "1931-02-03"
PHONE = "+1-555-0199-7713"


def _patient(auth_base_url: str, mint_token: TokenMinter) -> str:
    return write(
        auth_base_url,
        mint_token,
        {
            "resourceType": "Patient",
            "name": [{"family": FAMILY, "given": ["Ottoline"]}],
            "birthDate": BIRTH,
            "telecom": [{"system": "phone", "value": PHONE}],
        },
    )


def _no_phi(event: dict[str, object]) -> None:
    text = json.dumps(event)
    for value in (FAMILY, "Ottoline", BIRTH, PHONE):
        assert value not in text


def test_a_read_is_audited_with_who_what_and_where(
    auth_base_url: str, mint_token: TokenMinter
) -> None:
    patient = _patient(auth_base_url, mint_token)
    token = mint_token(
        "user/*.rs", client_id="ward-app", subject="u-17", fhir_user="Practitioner/p-17"
    )
    read = httpx.get(f"{auth_base_url}/Patient/{patient}", headers=bearer(token))
    assert read.status_code == 200
    events = wait_for_events(auth_base_url, mint_token, patient=patient, subtype="read")
    assert len(events) == 1
    event = events[0]
    assert event["type"]["code"] == "rest"
    assert event["action"] == "R"
    assert event["outcome"] == "0"
    user, client = event["agent"]
    assert user["who"] == {"reference": "Practitioner/p-17", "identifier": {"value": "u-17"}}
    assert user["network"]["address"] == "127.0.0.1"
    assert client["who"]["identifier"]["value"] == "ward-app"
    assert {"reference": f"Patient/{patient}"} in [e.get("what") for e in event["entity"]]
    _no_phi(event)


def test_a_search_records_the_query_with_phi_values_masked(
    auth_base_url: str, mint_token: TokenMinter
) -> None:
    _patient(auth_base_url, mint_token)
    token = mint_token("system/*.rs", client_id="masking-check")
    query = {"family": FAMILY, "birthdate": BIRTH, "phone": PHONE, "_count": "5"}
    found = httpx.get(f"{auth_base_url}/Patient", params=query, headers=bearer(token))
    assert found.status_code == 200
    events = wait_for_events(auth_base_url, mint_token, agent="masking-check")
    assert len(events) == 1
    recorded = decoded_query(events[0])
    assert recorded is not None
    assert "family=***" in recorded
    assert "birthdate=***" in recorded
    assert "phone=***" in recorded
    assert "_count=5" in recorded
    _no_phi(events[0])


def test_a_create_is_audited_in_its_own_transaction(
    auth_base_url: str, mint_token: TokenMinter, services: ServiceUrls
) -> None:
    patient = _patient(auth_base_url, mint_token)
    observation = write(
        auth_base_url,
        mint_token,
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "weight"},
            "subject": {"reference": f"Patient/{patient}"},
        },
    )
    # committed with the write: there without waiting for any flush
    with connect(services.database_url) as conn:
        row = conn.execute(
            "SELECT action, patient FROM audit_event WHERE %s = ANY(entities)",
            (f"Observation/{observation}/_history/1",),
        ).fetchone()
    assert row == ("C", patient)


def test_a_delete_is_audited_in_its_own_transaction(
    auth_base_url: str, mint_token: TokenMinter, services: ServiceUrls
) -> None:
    patient = _patient(auth_base_url, mint_token)
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "weight"},
        "subject": {"reference": f"Patient/{patient}"},
    }
    kept, deleted = (
        write(auth_base_url, mint_token, resource),
        write(auth_base_url, mint_token, resource),
    )
    headers = bearer(mint_token("system/*.cruds"))
    failing = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"request": {"method": "DELETE", "url": f"Observation/{kept}"}},
            _put(kept, 'W/"99"'),
        ],
    }
    assert httpx.post(auth_base_url, json=failing, headers=headers).status_code == 412
    answer = httpx.delete(f"{auth_base_url}/Observation/{deleted}", headers=headers)
    assert answer.status_code in (200, 204)
    query = "SELECT action, patient FROM audit_event WHERE %s = ANY(entities)"
    # committed with the delete, naming the patient of the version it replaced; the delete
    # that rolled back with its Bundle left no event
    with connect(services.database_url) as conn:
        rows = conn.execute(query, (f"Observation/{deleted}/_history/2",)).fetchall()
        rolled_back = conn.execute(query, (f"Observation/{kept}/_history/2",)).fetchall()
    assert rows == [("D", patient)]
    assert rolled_back == []


def _put(id_: str, if_match: str | None = None) -> dict[str, object]:
    request: dict[str, str] = {"method": "PUT", "url": f"Observation/{id_}"}
    if if_match:
        request["ifMatch"] = if_match
    resource = {"resourceType": "Observation", "id": id_, "status": "final", "code": {"text": "x"}}
    return {"resource": resource, "request": request}


def test_a_rolled_back_write_leaves_no_audit_event(
    auth_base_url: str, mint_token: TokenMinter, services: ServiceUrls
) -> None:
    existing = write(auth_base_url, mint_token, _put("unused")["resource"])  # type: ignore[arg-type]
    marker = f"rollback-{existing[:12]}"
    headers = bearer(mint_token("system/*.cruds"))
    failing = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [_put(marker), _put(existing, 'W/"99"')],
    }
    answer = httpx.post(auth_base_url, json=failing, headers=headers)
    assert answer.status_code == 412, answer.text
    query = "SELECT count(*) FROM audit_event WHERE %s = ANY(entities)"
    reference = (f"Observation/{marker}/_history/1",)
    with connect(services.database_url) as conn:
        assert conn.execute(query, reference).fetchone() == (0,)
    passing = {"resourceType": "Bundle", "type": "transaction", "entry": [_put(marker)]}
    assert httpx.post(auth_base_url, json=passing, headers=headers).status_code == 200
    with connect(services.database_url) as conn:
        assert conn.execute(query, reference).fetchone() == (1,)


@pytest.mark.parametrize(
    ("scopes", "fhir_user", "patient"),
    [
        ("patient/*.rs", None, "p1"),
        ("patient/AuditEvent.rs", None, "p1"),
        ("user/AuditEvent.rs", "Patient/p1", None),
        ("system/*.rs", None, None),
    ],
)
def test_only_an_auditor_scope_reads_the_trail(
    auth_base_url: str,
    mint_token: TokenMinter,
    scopes: str,
    fhir_user: str | None,
    patient: str | None,
) -> None:
    token = mint_token(scopes, fhir_user=fhir_user, patient=patient, subject="s")
    refused = httpx.get(f"{auth_base_url}/AuditEvent", headers=bearer(token))
    assert refused.status_code == 403
    assert "NV-0250" in refused.text


@pytest.mark.parametrize(
    ("scopes", "fhir_user"),
    [
        (AUDITOR, None),
        ("user/AuditEvent.rs", "Practitioner/aud-1"),
        ("user/AuditEvent.read", "Practitioner/aud-1"),
    ],
)
def test_auditor_scopes_read_the_trail(
    auth_base_url: str, mint_token: TokenMinter, scopes: str, fhir_user: str | None
) -> None:
    token = mint_token(scopes, fhir_user=fhir_user, subject="aud" if fhir_user else None)
    found = httpx.get(f"{auth_base_url}/AuditEvent", params={"_count": "1"}, headers=bearer(token))
    assert found.status_code == 200
    assert found.json()["resourceType"] == "Bundle"


def test_the_trail_cannot_be_written_through_the_api(
    auth_base_url: str, mint_token: TokenMinter
) -> None:
    headers = bearer(mint_token("system/*.cruds system/AuditEvent.cruds"))
    event = {"resourceType": "AuditEvent", "recorded": "2026-01-01T00:00:00Z"}
    assert httpx.post(f"{auth_base_url}/AuditEvent", json=event, headers=headers).status_code == 405
    some = audit_search(auth_base_url, mint_token)[0]
    url = f"{auth_base_url}/AuditEvent/{some['id']}"
    assert httpx.delete(url, headers=headers).status_code == 405
    assert httpx.get(url, headers=headers).json()["id"] == some["id"]


def test_date_and_agent_narrow_the_search(auth_base_url: str, mint_token: TokenMinter) -> None:
    patient = _patient(auth_base_url, mint_token)
    token = mint_token("system/*.rs", client_id="date-check")
    httpx.get(f"{auth_base_url}/Patient/{patient}", headers=bearer(token))
    events = wait_for_events(auth_base_url, mint_token, agent="date-check", patient=patient)
    day = events[0]["recorded"][:10]
    assert audit_search(auth_base_url, mint_token, agent="date-check", date=day)
    assert not audit_search(auth_base_url, mint_token, agent="date-check", date="lt2000-01-01")
    bad = httpx.get(
        f"{auth_base_url}/AuditEvent",
        params={"date": "yesterday"},
        headers=bearer(mint_token(AUDITOR)),
    )
    assert bad.status_code == 400


def test_token_issue_and_failed_sign_in_are_audited(
    auth_base_url: str,
    mint_token: TokenMinter,
    backend_client: Callable[..., BackendClient],
) -> None:
    client = backend_client("system/Patient.rs")
    client.token("system/Patient.rs")
    issued = wait_for_events(auth_base_url, mint_token, agent=client.client_id)
    assert [e["subtype"][0]["code"] for e in issued] == ["token-issue"]
    assert issued[0]["outcome"] == "0"
    login = auth_base_url.removesuffix("/fhir") + "/auth/login"
    httpx.post(login, data={"tx": "nope", "username": "x", "password": "y"})
    failed = wait_for_events(auth_base_url, mint_token, subtype="110122", outcome="4")
    assert failed
    assert all(e["type"]["code"] == "110114" for e in failed)


def test_vread_history_update_and_delete_are_audited(
    auth_base_url: str, mint_token: TokenMinter
) -> None:
    patient = _patient(auth_base_url, mint_token)
    headers = bearer(mint_token("system/*.cruds", client_id="lifecycle-check"))
    url = f"{auth_base_url}/Patient/{patient}"
    httpx.get(f"{url}/_history/1", headers=headers)
    httpx.get(f"{url}/_history", headers=headers)
    changed = {"resourceType": "Patient", "id": patient, "active": False}
    assert httpx.put(url, json=changed, headers=headers).status_code == 200
    assert httpx.delete(url, headers=headers).status_code in (200, 204)
    refused = httpx.get(
        url, headers=bearer(mint_token("system/Observation.rs", client_id="lifecycle-check"))
    )
    assert refused.status_code == 403
    events = wait_for_events(auth_base_url, mint_token, 5, patient=patient, agent="lifecycle-check")
    seen = {(e["subtype"][0]["code"], e["action"], e["outcome"]) for e in events}
    assert seen == {
        ("vread", "R", "0"),
        ("history-instance", "R", "0"),
        ("update", "U", "0"),
        ("delete", "D", "0"),
        ("read", "R", "4"),
    }


def test_reads_of_a_patients_resources_are_found_by_patient(
    auth_base_url: str, mint_token: TokenMinter
) -> None:
    patient = _patient(auth_base_url, mint_token)
    observation = write(
        auth_base_url,
        mint_token,
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "weight"},
            "subject": {"reference": f"Patient/{patient}"},
        },
    )
    token = mint_token("system/*.rs", client_id="by-patient-check")
    url = f"{auth_base_url}/Observation/{observation}"
    assert httpx.get(url, headers=bearer(token)).status_code == 200
    assert httpx.get(f"{url}/_history/1", headers=bearer(token)).status_code == 200
    events = wait_for_events(
        auth_base_url, mint_token, 2, patient=patient, agent="by-patient-check"
    )
    assert sorted(e["subtype"][0]["code"] for e in events) == ["read", "vread"]


def test_a_request_refused_for_want_of_a_token_is_audited(
    auth_base_url: str, mint_token: TokenMinter
) -> None:
    patient = _patient(auth_base_url, mint_token)
    assert httpx.get(f"{auth_base_url}/Patient/{patient}").status_code == 401
    events = wait_for_events(auth_base_url, mint_token, patient=patient, outcome="4")
    assert len(events) == 1
    assert events[0]["agent"][0]["who"] == {"display": "anonymous"}
    assert events[0]["agent"][0]["network"]["address"] == "127.0.0.1"


def test_an_audit_event_cannot_be_slipped_in_through_a_bundle(
    auth_base_url: str, mint_token: TokenMinter
) -> None:
    fake = {
        "resourceType": "AuditEvent",
        "type": {
            "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
            "code": "rest",
        },
        "recorded": "2026-01-01T00:00:00Z",
        "agent": [{"who": {"display": "nobody"}, "requestor": True}],
        "source": {"observer": {"display": "elsewhere"}},
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"resource": fake, "request": {"method": "POST", "url": "AuditEvent"}}],
    }
    headers = bearer(mint_token("system/*.cruds"))
    answer = httpx.post(auth_base_url, json=bundle, headers=headers)
    assert answer.status_code == 405, answer.text
    assert "NV-0251" in answer.text


def test_an_event_is_read_by_id_and_pages_follow(
    auth_base_url: str, mint_token: TokenMinter
) -> None:
    patient = _patient(auth_base_url, mint_token)
    token = mint_token("system/*.rs", client_id="paging-check")
    for _ in range(3):
        httpx.get(f"{auth_base_url}/Patient/{patient}", headers=bearer(token))
    wait_for_events(auth_base_url, mint_token, 3, agent="paging-check")
    auditor = bearer(mint_token(AUDITOR))
    first = httpx.get(
        f"{auth_base_url}/AuditEvent",
        params={"agent": "paging-check", "_count": "2"},
        headers=auditor,
    ).json()
    assert len(first["entry"]) == 2
    next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = httpx.get(next_url, headers=auditor).json()
    assert len(second["entry"]) == 1
    ids = {e["resource"]["id"] for e in first["entry"] + second["entry"]}
    assert len(ids) == 3
    one = httpx.get(f"{auth_base_url}/AuditEvent/{ids.pop()}", headers=auditor)
    assert one.status_code == 200
    assert one.json()["resourceType"] == "AuditEvent"
    missing = httpx.get(f"{auth_base_url}/AuditEvent/no-such-event", headers=auditor)
    assert missing.status_code == 404
    assert "NV-0253" in missing.text
