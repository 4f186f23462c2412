"""Break-glass: an emergency token reads the emergency summary of one patient and nothing
else; each use is audited at high priority and the patient is notified."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import redis

from fhir_server.audit.notify import OUTBOX
from fhir_server.embedded import ServiceUrls
from tests.auth_fixtures import TokenMinter
from tests.integration.audit.helpers import audit_search, bearer, write

pytestmark = pytest.mark.integration

REASON = "unconscious at roadside, ambulance 14"
EMERGENCY = "system/emergency-info"


def _ref(patient: str) -> dict[str, str]:
    return {"reference": f"Patient/{patient}"}


def _concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"


def _record(base: str, mint_token: TokenMinter) -> tuple[str, dict[str, str]]:
    """A patient with one of each kind of entry, in and out of the summary: (id, names)."""
    patient = write(base, mint_token, {"resourceType": "Patient", "active": True})
    p = _ref(patient)
    made: dict[str, dict[str, Any]] = {
        "allergy": {
            "resourceType": "AllergyIntolerance",
            "patient": p,
            "code": {"text": "peanut"},
            "clinicalStatus": _concept(ALLERGY_CLINICAL, "active"),
        },
        "refuted": {
            "resourceType": "AllergyIntolerance",
            "patient": p,
            "code": {"text": "egg"},
            "clinicalStatus": _concept(ALLERGY_CLINICAL, "active"),  # ait-1: required here
            "verificationStatus": _concept(
                "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "refuted"
            ),
        },
        "active": {
            "resourceType": "Condition",
            "subject": p,
            "code": {"text": "epilepsy"},
            "clinicalStatus": _concept(CLINICAL, "active"),
        },
        "resolved": {
            "resourceType": "Condition",
            "subject": p,
            "code": {"text": "flu"},
            "clinicalStatus": _concept(CLINICAL, "resolved"),
        },
        "medication": {
            "resourceType": "MedicationStatement",
            "status": "active",
            "subject": p,
            "medicationCodeableConcept": {"text": "warfarin"},
        },
        "stopped": {
            "resourceType": "MedicationStatement",
            "status": "stopped",
            "subject": p,
            "medicationCodeableConcept": {"text": "amoxicillin"},
        },
        "contact": {"resourceType": "RelatedPerson", "patient": p, "active": True},
        "directive": {
            "resourceType": "Consent",
            "status": "active",
            "patient": p,
            "scope": _concept("http://terminology.hl7.org/CodeSystem/consentscope", "adr"),
            "category": [_concept("http://loinc.org", "75320-2")],
        },
        "observation": {
            "resourceType": "Observation",
            "status": "final",
            "subject": p,
            "code": {"text": "weight"},
        },
    }
    return patient, {name: write(base, mint_token, body) for name, body in made.items()}


def _emergency_token(
    base: str, client: tuple[str, str], patient: str, reason: str = REASON
) -> httpx.Response:
    url = base.removesuffix("/fhir") + "/auth/emergency-token"
    return httpx.post(url, data={"patient": patient, "reason": reason}, auth=client)


@pytest.fixture
def responder(secret_client: Callable[..., tuple[str, str]]) -> tuple[str, str]:
    """A first-responder client registered for emergency access: (id, secret)."""
    return secret_client(EMERGENCY)


def test_the_emergency_token_reads_only_the_summary(
    auth_base_url: str, mint_token: TokenMinter, responder: tuple[str, str]
) -> None:
    patient, ids = _record(auth_base_url, mint_token)
    issued = _emergency_token(auth_base_url, responder, patient)
    assert issued.status_code == 200, issued.text
    assert issued.json()["scope"] == EMERGENCY
    assert issued.json()["expires_in"] <= 900
    headers = bearer(issued.json()["access_token"])
    summary = httpx.get(f"{auth_base_url}/Patient/{patient}/$emergency-info", headers=headers)
    assert summary.status_code == 200, summary.text
    got = {e["resource"]["id"] for e in summary.json()["entry"]}
    assert got == {
        ids[name] for name in ("allergy", "active", "medication", "contact", "directive")
    }
    assert (
        httpx.post(
            f"{auth_base_url}/Patient/{patient}/$emergency-info", headers=headers
        ).status_code
        == 200
    )


def test_the_emergency_token_gets_403_everywhere_else(
    auth_base_url: str, mint_token: TokenMinter, responder: tuple[str, str]
) -> None:
    patient, ids = _record(auth_base_url, mint_token)
    other = write(auth_base_url, mint_token, {"resourceType": "Patient", "active": True})
    headers = bearer(_emergency_token(auth_base_url, responder, patient).json()["access_token"])
    for path in (
        f"Patient/{patient}",
        f"Observation/{ids['observation']}",
        f"AllergyIntolerance/{ids['allergy']}",
        f"AllergyIntolerance?patient={patient}",
        f"Patient/{patient}/$meta",
        f"Patient/{other}/$emergency-info",
        "AuditEvent",
        f"Patient/{patient}/_history",
    ):
        answer = httpx.get(f"{auth_base_url}/{path}", headers=headers)
        assert answer.status_code == 403, (path, answer.status_code, answer.text)
    created = httpx.post(
        f"{auth_base_url}/Observation",
        headers=headers,
        json={"resourceType": "Observation", "status": "final", "code": {"text": "x"}},
    )
    assert created.status_code == 403


def test_each_use_is_audited_and_the_patient_notified(
    auth_base_url: str,
    mint_token: TokenMinter,
    responder: tuple[str, str],
    services: ServiceUrls,
) -> None:
    patient, _ = _record(auth_base_url, mint_token)
    headers = bearer(_emergency_token(auth_base_url, responder, patient).json()["access_token"])
    httpx.get(f"{auth_base_url}/Patient/{patient}/$emergency-info", headers=headers)
    events = audit_search(auth_base_url, mint_token, patient=patient, subtype="break-glass")
    assert len(events) == 1  # written before the answer: no wait
    event = events[0]
    assert event["extension"][0]["valueCode"] == "high"
    assert event["purposeOfEvent"][0]["text"] == REASON
    assert {"ETREAT", "BTG"} <= {c["code"] for c in event["purposeOfEvent"][0]["coding"]}
    assert event["agent"][0]["who"]["identifier"]["value"] == responder[0]
    issue = audit_search(auth_base_url, mint_token, patient=patient, subtype="emergency-token")
    assert len(issue) == 1
    reader = bearer(mint_token("system/Communication.rs"))
    found = httpx.get(
        f"{auth_base_url}/Communication", params={"subject": f"Patient/{patient}"}, headers=reader
    ).json()
    notices = [e["resource"] for e in found["entry"]]
    assert len(notices) == 1
    assert notices[0]["priority"] == "urgent"
    assert notices[0]["recipient"] == [_ref(patient)]
    outbox = redis.Redis.from_url(services.redis_url)
    sent = [json.loads(item) for item in outbox.lrange(OUTBOX, 0, -1)]
    assert {
        "patient": patient,
        "communication": notices[0]["id"],
        "kind": "emergency-access",
        "channels": ["email", "sms"],
    } in sent


def test_the_token_needs_a_reason_a_known_patient_and_a_registered_client(
    auth_base_url: str,
    mint_token: TokenMinter,
    responder: tuple[str, str],
    secret_client: Callable[..., tuple[str, str]],
) -> None:
    patient = write(auth_base_url, mint_token, {"resourceType": "Patient", "active": True})
    assert _emergency_token(auth_base_url, responder, patient, reason="").status_code == 400
    assert _emergency_token(auth_base_url, responder, "no-such-patient").status_code == 400
    ordinary = secret_client("system/*.rs")
    refused = _emergency_token(auth_base_url, ordinary, patient)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_scope"
    wrong_secret = (responder[0], "x" * 64)
    assert _emergency_token(auth_base_url, wrong_secret, patient).status_code == 401


def test_other_tokens_run_the_operation_under_their_own_access(
    auth_base_url: str, mint_token: TokenMinter
) -> None:
    patient, ids = _record(auth_base_url, mint_token)
    clinician = bearer(mint_token("user/*.rs", fhir_user="Practitioner/doc", subject="doc"))
    summary = httpx.get(f"{auth_base_url}/Patient/{patient}/$emergency-info", headers=clinician)
    assert summary.status_code == 200
    assert ids["allergy"] in {e["resource"]["id"] for e in summary.json()["entry"]}
    stranger = bearer(mint_token("patient/*.rs", patient="someone-else"))
    hidden = httpx.get(f"{auth_base_url}/Patient/{patient}/$emergency-info", headers=stranger)
    assert hidden.status_code == 404
