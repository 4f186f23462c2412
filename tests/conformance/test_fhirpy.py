"""fhirpy's ``SyncFHIRClient``, a client we did not write, against our server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import ResourceNotFound

from tests.integration.fhir_http import unique_system

pytestmark = pytest.mark.conformance


@pytest.fixture
def fhirpy_client(base_url: str) -> Any:
    """A synchronous fhirpy client on the test server."""
    return SyncFHIRClient(base_url)


def test_create_read_update_with_fhirpy(fhirpy_client: Any, base_url: str) -> None:
    system = unique_system()
    patient = fhirpy_client.resource(
        "Patient",
        name=[{"family": "Chalmers", "given": ["Peter"]}],
        gender="male",
        identifier=[{"system": system, "value": "fp-1"}],
    )
    patient.save()
    id_ = patient.id
    assert id_
    assert patient["meta"]["versionId"] == "1"

    read = fhirpy_client.reference("Patient", id_).to_resource()
    assert read["name"][0]["family"] == "Chalmers"
    assert read["gender"] == "male"
    assert read["identifier"][0]["system"] == system

    read["gender"] = "female"
    read["birthDate"] = "1974-12-25"
    read.save()
    assert read["meta"]["versionId"] == "2"

    again = fhirpy_client.reference("Patient", id_).to_resource()
    assert again["gender"] == "female"
    assert again["birthDate"] == "1974-12-25"
    assert again["meta"]["versionId"] == "2"

    with httpx.Client(timeout=30) as raw:
        current = raw.get(f"{base_url}/Patient/{id_}")
    assert current.headers["ETag"] == 'W/"2"'
    assert current.json()["gender"] == "female"


def test_fhirpy_search_and_delete(fhirpy_client: Any) -> None:
    system = unique_system()
    ids = set()
    for value in ("fp-a", "fp-b", "fp-c"):
        patient = fhirpy_client.resource("Patient", identifier=[{"system": system, "value": value}])
        patient.save()
        ids.add(patient.id)
    found = fhirpy_client.resources("Patient").search(identifier=f"{system}|").limit(2).fetch_all()
    assert {patient.id for patient in found} == ids

    one = fhirpy_client.resources("Patient").search(identifier=f"{system}|fp-b").get()
    one.delete()
    with pytest.raises(ResourceNotFound):
        fhirpy_client.reference("Patient", one.id).to_resource()


def test_fhirpy_refresh_after_a_change(fhirpy_client: Any) -> None:
    patient = fhirpy_client.resource("Patient", gender="female")
    patient.save()
    other = fhirpy_client.reference("Patient", patient.id).to_resource()
    other["gender"] = "male"
    other.save()
    patient.refresh()
    assert patient["gender"] == "male"
    assert patient["meta"]["versionId"] == "2"
