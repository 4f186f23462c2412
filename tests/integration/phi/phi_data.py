"""Patients with distinctive PHI, and helpers to reach the database under the test server."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg

from fhir_server.db.engine import sync_url


def libpq(database_url: str) -> str:
    """The database URL as libpq reads it."""
    return sync_url(database_url).replace("postgresql+psycopg://", "postgresql://", 1)


def distinctive(tag: str) -> dict[str, str]:
    """PHI values found nowhere else: names, birth date, phone, e-mail, address, identifier."""
    word = uuid.uuid4().hex[:6]
    return {
        "family": f"Vexhammer{word}",
        "given": f"Quixotlyn{word}",
        "birthDate": "1937-04-19",
        "phone": f"+1 555 0142 {int(word, 16) % 10000:04d}",
        "email": f"quixotlyn.{word}@example.org",
        "line": f"7421 Thistlewood{word} Crescent",
        "city": f"Brumblewick{word}",
        "postalCode": f"QX{word}",
        "ssn": f"987-65-{word}",
        "tag": tag,
    }


def patient_body(phi: dict[str, str]) -> dict[str, Any]:
    """A Patient carrying every value of ``phi``."""
    return {
        "resourceType": "Patient",
        "meta": {"tag": [{"system": "urn:nutrivision:test-batch", "code": phi["tag"]}]},
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.4.1", "value": phi["ssn"]}],
        "name": [{"family": phi["family"], "given": [phi["given"]]}],
        "telecom": [
            {"system": "phone", "value": phi["phone"]},
            {"system": "email", "value": phi["email"]},
        ],
        "birthDate": phi["birthDate"],
        "address": [{"line": [phi["line"]], "city": phi["city"], "postalCode": phi["postalCode"]}],
    }


def create_patient(client: httpx.Client, phi: dict[str, str]) -> dict[str, Any]:
    """POST the patient; its stored form."""
    response = client.post("/Patient", json=patient_body(phi))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def checkpoint(database_url: str) -> None:
    """Flush every dirty buffer to the data files."""
    with psycopg.connect(libpq(database_url), autocommit=True) as conn:
        conn.execute("CHECKPOINT")
