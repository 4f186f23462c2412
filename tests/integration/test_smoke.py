"""The server answers its metadata and a create/read round trip."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.integration


def test_metadata_is_a_capability_statement(client: httpx.Client) -> None:
    response = client.get("/metadata")
    assert response.status_code == 200
    body = response.json()
    assert body["resourceType"] == "CapabilityStatement"
    assert body["fhirVersion"] == "4.0.1"


def test_create_then_read(client: httpx.Client) -> None:
    created = client.post("/Patient", json={"resourceType": "Patient", "gender": "female"})
    assert created.status_code == 201
    location = created.headers["Location"]
    patient_id = created.json()["id"]
    assert location.endswith(f"/Patient/{patient_id}/_history/1")
    read = client.get(f"/Patient/{patient_id}")
    assert read.status_code == 200
    assert read.json()["gender"] == "female"
    assert read.headers["ETag"] == 'W/"1"'
