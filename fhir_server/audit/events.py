"""AuditEvent resources (R4) following the IHE Basic Audit Log Patterns, as table rows.

https://profiles.ihe.net/ITI/BALP/

An event names who (the user's ``fhirUser`` and ``sub``, the client, the network address),
what (resource references, the search query with the values of PHI-bearing parameters
masked), when, and the outcome; never a resource body or any other PHI value.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from resources.identity import now

DCM = "http://dicom.nema.org/resources/ontology/DCM"
EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL = "http://hl7.org/fhir/restful-interaction"
OURS = "https://nutrivision.example.org/fhir/CodeSystem/audit-event-subtype"
PRIORITY_URL = "https://nutrivision.example.org/fhir/StructureDefinition/audit-priority"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
MASK = "***"

ACTIONS = {
    "create": "C",
    "read": "R",
    "vread": "R",
    "search-type": "E",
    "search-system": "E",
    "history-instance": "R",
    "history-type": "R",
    "history-system": "R",
    "update": "U",
    "patch": "U",
    "delete": "D",
    "operation": "E",
    "batch": "E",
    "transaction": "E",
}
SECURITY_EVENTS = {
    "login": ("110122", "Login"),
    "login-failed": ("110122", "Login"),
    "token-issue": ("token-issue", "Access token issued"),
    "emergency-token": ("emergency-token", "Emergency access token issued"),
    "break-glass": ("break-glass", "Emergency information read under break-glass"),
}
PHI_PARAMS = frozenset(
    {
        "name",
        "family",
        "given",
        "phonetic",
        "birthdate",
        "address",
        "telecom",
        "phone",
        "email",
        "identifier",
        "_content",
        "_text",
        "_filter",
        "death-date",
        "text",
    }
)
"""Search parameters whose values are about a person (and the free-text ones)."""


@dataclass(frozen=True)
class Actor:
    """Who made the request, as far as the server knows."""

    client_id: str | None = None
    subject: str | None = None
    fhir_user: str | None = None
    address: str | None = None
    token_id: str | None = None


def _phi_param(name: str) -> bool:
    """``name``, ``subject:Patient.name``, ``address-city``, ``name:exact``: PHI-bearing."""
    for part in name.replace(":", ".").split("."):
        base = part.split("-")[0] if part.startswith("address") else part
        if part in PHI_PARAMS or base in PHI_PARAMS:
            return True
    return False


def masked_query(items: list[tuple[str, str]]) -> str:
    """The query string with the values of PHI-bearing parameters replaced by ``***``."""
    kept = [(name, MASK if _phi_param(name) else value) for name, value in items]
    return "&".join(
        f"{quote(name, safe=':._-')}={quote(value, safe=':/|,._-*')}" for name, value in kept
    )


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _agents(actor: Actor) -> list[dict[str, Any]]:
    network = {"address": actor.address, "type": "2"} if actor.address else None
    agents: list[dict[str, Any]] = []
    if actor.subject or actor.fhir_user:
        who: dict[str, Any] = {}
        if actor.fhir_user:
            who["reference"] = actor.fhir_user
        if actor.subject:
            who["identifier"] = {"value": actor.subject}
        user: dict[str, Any] = {"who": who, "requestor": True}
        agents.append(user)
    if actor.client_id:
        client: dict[str, Any] = {
            "type": {"coding": [_coding(DCM, "110150", "Application")]},
            "who": {"identifier": {"system": "urn:nutrivision:client", "value": actor.client_id}},
            "requestor": not agents,
        }
        agents.append(client)
    if not agents:
        agents.append({"who": {"display": "anonymous"}, "requestor": True})
    if network:
        agents[0]["network"] = network
    if actor.token_id:
        agents[0]["policy"] = [f"urn:nutrivision:token:{actor.token_id}"]
    return agents


def _entities(references: list[str], query: str | None) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = []
    for reference in references:
        patient = reference.startswith("Patient/")
        entities.append(
            {
                "what": {"reference": reference},
                "type": {
                    "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                    "code": "1",
                    "display": "Person" if patient else "System Object",
                },
                "role": _coding(
                    "http://terminology.hl7.org/CodeSystem/object-role",
                    "1" if patient else "4",
                    "Patient" if patient else "Domain Resource",
                ),
            }
        )
    if query is not None:
        entities.append(
            {
                "type": _coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2"),
                "role": _coding("http://terminology.hl7.org/CodeSystem/object-role", "24", "Query"),
                "query": base64.b64encode(query.encode()).decode(),
            }
        )
    return entities


CLIENT_CLOSED = 499
"""The status of a read stopped because its client left (``http.cancel_on_disconnect``)."""


def outcome_code(status: int) -> str:
    """The AuditEvent outcome of an HTTP status: 0 success, 4 minor, 8 serious failure."""
    if status < 400:
        return "0"
    return "4" if status < 500 else "8"


@dataclass(frozen=True)
class EventFacts:
    """What one event says; ``subtype`` is a restful interaction or a ``SECURITY_EVENTS`` key."""

    subtype: str
    actor: Actor
    status: int = 200
    references: tuple[str, ...] = ()
    query: str | None = None
    patient: str | None = None
    resource_type: str | None = None
    reason: str | None = None
    high_priority: bool = False
    recorded: datetime | None = None


def _type_and_subtype(subtype: str) -> tuple[dict[str, str], dict[str, str], str]:
    if subtype in SECURITY_EVENTS:
        code, display = SECURITY_EVENTS[subtype]
        system = DCM if code.isdigit() else OURS
        event_type = _coding(DCM, "110114", "User Authentication")
        if subtype == "break-glass":
            event_type = _coding(EVENT_TYPE, "rest", "RESTful Operation")
        return event_type, _coding(system, code, display), "E"
    return (
        _coding(EVENT_TYPE, "rest", "RESTful Operation"),
        _coding(RESTFUL, subtype),
        ACTIONS.get(subtype, "E"),
    )


SOURCE = {
    "observer": {"display": "Nutri-Vision FHIR server"},
    "type": [
        _coding(
            "http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server"
        )
    ],
}


def _add_details(event: dict[str, Any], facts: EventFacts) -> None:
    """The optional elements: why a sign-in failed, the break-glass reason, the priority."""
    if facts.subtype == "login-failed":
        event["outcomeDesc"] = "Sign-in refused"
    if facts.status == CLIENT_CLOSED:
        event["outcomeDesc"] = "The client closed its connection: stopped, nothing was sent"
    if facts.reason is not None:
        reasons = [
            _coding(ACT_REASON, "ETREAT", "Emergency Treatment"),
            _coding(ACT_REASON, "BTG", "break the glass"),
        ]
        event["purposeOfEvent"] = [{"coding": reasons, "text": facts.reason}]
    if facts.high_priority:
        event["extension"] = [{"url": PRIORITY_URL, "valueCode": "high"}]


def build_event(facts: EventFacts) -> dict[str, Any]:
    """The row of ``audit_event`` for these facts (``event`` holds the AuditEvent JSON)."""
    event_id = uuid.uuid4().hex
    recorded = facts.recorded or now()
    event_type, subtype, action = _type_and_subtype(facts.subtype)
    references = list(facts.references)
    if facts.patient and f"Patient/{facts.patient}" not in references:
        references.append(f"Patient/{facts.patient}")
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": event_id,
        "type": event_type,
        "subtype": [subtype],
        "action": action,
        "recorded": recorded.isoformat(),
        "outcome": outcome_code(facts.status),
        "agent": _agents(facts.actor),
        "source": SOURCE,
        "entity": _entities(references, facts.query),
    }
    _add_details(event, facts)
    actor = facts.actor
    return {
        "id": event_id,
        "recorded": recorded,
        "action": action,
        "subtype": subtype["code"],
        "outcome": event["outcome"],
        "priority": "high" if facts.high_priority else "normal",
        "agents": [v for v in (actor.client_id, actor.subject, actor.fhir_user) if v],
        "patient": facts.patient,
        "entities": references,
        "event": event,
    }
