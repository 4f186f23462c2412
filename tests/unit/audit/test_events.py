"""AuditEvents built from request facts: codes, agents, masking; no PHI value survives."""

from __future__ import annotations

import base64
import json

import pytest

from fhir_server.audit.classify import classify
from fhir_server.audit.events import Actor, EventFacts, build_event, masked_query, outcome_code


@pytest.mark.parametrize(
    "name",
    [
        "name",
        "family",
        "given",
        "birthdate",
        "phone",
        "email",
        "address",
        "address-city",
        "identifier",
        "telecom",
        "name:exact",
        "subject:Patient.name",
        "patient.birthdate",
        "_content",
        "phonetic",
    ],
)
def test_values_of_phi_parameters_are_masked(name: str) -> None:
    assert masked_query([(name, "Secretvalue")]) == f"{name}=***"


def test_other_parameters_keep_their_values() -> None:
    query = masked_query(
        [
            ("patient", "Patient/7"),
            ("code", "http://loinc.org|1234-5"),
            ("_count", "10"),
            ("family", "Smith"),
        ]
    )
    assert query == "patient=Patient/7&code=http://loinc.org|1234-5&_count=10&family=***"


@pytest.mark.parametrize(
    ("method", "path", "subtype", "references", "patient"),
    [
        ("GET", "/fhir/Patient/7", "read", ("Patient/7",), "7"),
        ("GET", "/fhir/Observation/3/_history/2", "vread", ("Observation/3/_history/2",), None),
        ("GET", "/fhir/Observation/3/_history", "history-instance", ("Observation/3",), None),
        ("GET", "/fhir/Observation/_history", "history-type", (), None),
        ("GET", "/fhir/_history", "history-system", (), None),
        ("GET", "/fhir/Observation", "search-type", (), None),
        ("POST", "/fhir/Observation/_search", "search-type", (), None),
        ("GET", "/fhir/Patient/7/Observation", "search-type", (), "7"),
        ("GET", "/fhir", "search-system", (), None),
        ("POST", "/fhir", "batch", (), None),
        ("POST", "/fhir/Observation", "create", (), None),
        ("PUT", "/fhir/Observation/3", "update", ("Observation/3",), None),
        ("PATCH", "/fhir/Observation/3", "patch", ("Observation/3",), None),
        ("DELETE", "/fhir/Observation/3", "delete", ("Observation/3",), None),
        ("GET", "/fhir/Patient/7/$everything", "operation", ("Patient/7",), "7"),
        ("GET", "/fhir/$export", "operation", (), None),
        ("POST", "/fhir/Patient/$match", "operation", (), None),
        ("GET", "/fhir/Patient/_history", "history-type", (), None),
        ("POST", "/auth/token", "token-issue", (), None),
        ("POST", "/auth/login", "login", (), None),
    ],
)
def test_requests_are_classified(
    method: str, path: str, subtype: str, references: tuple[str, ...], patient: str | None
) -> None:
    found = classify(method, path, b"")
    assert found is not None
    assert (found.subtype, found.references, found.patient) == (subtype, references, patient)


@pytest.mark.parametrize(
    "path", ["/fhir/metadata", "/health", "/fhir/.well-known/smart-configuration", "/auth/jwks"]
)
def test_requests_without_health_data_are_not_audited(path: str) -> None:
    assert classify("GET", path, b"") is None


def test_the_patient_of_a_search_comes_from_its_query() -> None:
    found = classify("GET", "/fhir/Observation", b"subject=Patient/9&code=x")
    assert found is not None
    assert found.patient == "9"
    assert found.query == "subject=Patient/9&code=x"


def test_an_event_names_who_what_and_how_it_ended() -> None:
    actor = Actor("app-1", "user-1", "Practitioner/5", "10.0.0.8", "jti-1")
    row = build_event(EventFacts("search-type", actor, 403, (), "family=***", "9"))
    event = row["event"]
    assert event["action"] == "E"
    assert event["outcome"] == "4"
    assert event["subtype"][0]["code"] == "search-type"
    assert event["agent"][0]["who"]["reference"] == "Practitioner/5"
    assert event["agent"][0]["network"] == {"address": "10.0.0.8", "type": "2"}
    assert event["agent"][1]["who"]["identifier"]["value"] == "app-1"
    query = next(e for e in event["entity"] if "query" in e)["query"]
    assert base64.b64decode(query) == b"family=***"
    assert row["agents"] == ["app-1", "user-1", "Practitioner/5"]
    assert row["patient"] == "9"
    assert row["priority"] == "normal"
    json.dumps(event)  # plain JSON, storable as JSONB


def test_outcome_codes() -> None:
    assert [outcome_code(s) for s in (200, 201, 304, 404, 500)] == ["0", "0", "0", "4", "8"]


def test_a_break_glass_event_is_high_priority_with_its_reason() -> None:
    row = build_event(
        EventFacts(
            "break-glass",
            Actor("ems"),
            200,
            ("Patient/1",),
            None,
            "1",
            reason="cardiac arrest",
            high_priority=True,
        )
    )
    event = row["event"]
    assert row["priority"] == "high"
    assert event["extension"][0]["valueCode"] == "high"
    assert event["purposeOfEvent"][0]["text"] == "cardiac arrest"
    assert event["entity"][0]["what"] == {"reference": "Patient/1"}
