"""Service endpoints: liveness, readiness with its dependency checks, and metadata."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from fhir_server.db.migrate import head_revision

pytestmark = pytest.mark.integration


@pytest.fixture
def service(base_url: str) -> Iterator[httpx.Client]:
    """A client on the server root, where /health and /ready live."""
    with httpx.Client(base_url=base_url.removesuffix("/fhir"), timeout=30) as http:
        yield http


def test_health_passes(service: httpx.Client) -> None:
    response = service.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "pass"}


def test_ready_checks_database_and_redis(service: httpx.Client) -> None:
    response = service.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "pass"
    assert body["checks"]["database"]["status"] == "pass"
    assert body["checks"]["database"]["revision"] == head_revision()
    assert body["checks"]["redis"]["status"] == "pass"


def test_metadata_lists_the_served_types(client: httpx.Client) -> None:
    response = client.get("/metadata")
    assert response.status_code == 200
    statement = response.json()
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["implementation"]["url"] == str(client.base_url).rstrip("/")
    types = {entry["type"] for entry in statement["rest"][0]["resource"]}
    assert {"Patient", "NutritionIntake", "Observation"} <= types


def test_metadata_refuses_xml(client: httpx.Client) -> None:
    response = client.get("/metadata", params={"_format": "xml"})
    assert response.status_code == 406
    assert response.json()["resourceType"] == "OperationOutcome"
