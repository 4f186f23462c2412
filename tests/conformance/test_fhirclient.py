"""The SMART on FHIR Python client (``fhirclient``), which we did not write, against our server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fhirclient import client as smart_client
from fhirclient.models import humanname, identifier
from fhirclient.models import patient as patient_model
from fhirclient.server import FHIRNotFoundException

from tests.integration.fhir_http import unique_system

pytestmark = pytest.mark.conformance


@pytest.fixture
def smart(base_url: str) -> Iterator[Any]:
    """A ``FHIRClient`` on the test server (its ``server`` talks HTTP through requests)."""
    fhir = smart_client.FHIRClient(settings={"app_id": "nutrivision-tests", "api_base": base_url})
    yield fhir
    fhir.server.session.close()


def _new_patient(system: str) -> Any:
    patient = patient_model.Patient()
    name = humanname.HumanName()
    name.family = "Chalmers"
    name.given = ["Peter", "James"]
    patient.name = [name]
    patient.gender = "male"
    ident = identifier.Identifier()
    ident.system = system
    ident.value = "12345"
    patient.identifier = [ident]
    patient.active = True
    return patient


def test_create_read_update_with_fhirclient(smart: Any, base_url: str) -> None:
    server = smart.server
    system = unique_system()
    created = _new_patient(system).create(server)
    assert created["resourceType"] == "Patient"
    id_ = created["id"]
    assert created["meta"]["versionId"] == "1"

    read = patient_model.Patient.read(id_, server)
    assert read.id == id_
    assert read.name[0].family == "Chalmers"
    assert read.name[0].given == ["Peter", "James"]
    assert read.gender == "male"
    assert read.active is True
    assert read.identifier[0].system == system
    assert read.meta.versionId == "1"

    read.gender = "other"
    read.active = False
    updated = read.update(server)
    assert updated["meta"]["versionId"] == "2"

    again = patient_model.Patient.read(id_, server)
    assert again.gender == "other"
    assert again.active is False
    assert again.meta.versionId == "2"
    assert again.meta.lastUpdated is not None

    with httpx.Client(timeout=30) as raw:
        current = raw.get(f"{base_url}/Patient/{id_}")
    assert current.headers["ETag"] == 'W/"2"'
    assert current.json()["gender"] == "other"


def test_fhirclient_sees_404_and_reads_the_capability_statement(smart: Any) -> None:
    with pytest.raises(FHIRNotFoundException):
        patient_model.Patient.read("no-such-patient", smart.server)
    smart.server.get_capability()
    statement = smart.server.capabilityStatement
    assert statement.fhirVersion == "4.0.1"
    types = {resource.type for resource in statement.rest[0].resource}
    assert {"Patient", "NutritionIntake"} <= types


def test_fhirclient_search_by_identifier(smart: Any) -> None:
    system = unique_system()
    id_ = _new_patient(system).create(smart.server)["id"]
    search = patient_model.Patient.where(struct={"identifier": f"{system}|12345"})
    found = list(search.perform_resources_iter(smart.server))
    assert [patient.id for patient in found] == [id_]
