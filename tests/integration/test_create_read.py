"""Create (POST), read and vread, Prefer return, and the R5 NutritionIntake type."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from resources import error_codes
from tests.examples import NUTRITION_INTAKE_EXAMPLE, load, r4_example_paths, without_id
from tests.integration.fhir_http import assert_outcome, create_patient, patient

pytestmark = pytest.mark.integration


def test_create_answers_201_with_version_headers(client: httpx.Client) -> None:
    response = client.post("/Patient", json=patient(gender="female"))
    assert response.status_code == 201
    body = response.json()
    id_ = body["id"]
    assert response.headers["Location"].endswith(f"/fhir/Patient/{id_}/_history/1")
    assert response.headers["Location"].startswith("http://")
    assert response.headers["ETag"] == 'W/"1"'
    modified = parsedate_to_datetime(response.headers["Last-Modified"])
    assert modified.tzinfo is not None
    assert body["meta"]["versionId"] == "1"
    assert body["meta"]["lastUpdated"].endswith("Z")
    assert response.headers["content-type"].startswith("application/fhir+json")


def test_create_ignores_a_client_id(client: httpx.Client) -> None:
    response = client.post("/Patient", json=patient(id="chosen-by-client", gender="male"))
    assert response.status_code == 201
    assigned = response.json()["id"]
    assert assigned != "chosen-by-client"
    assert client.get(f"/Patient/{assigned}").status_code == 200
    assert client.get("/Patient/chosen-by-client").status_code == 404


def test_read_returns_what_create_stored(client: httpx.Client) -> None:
    created = create_patient(client, gender="other", birthDate="1980-02-29", active=True)
    response = client.get(f"/Patient/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    assert response.headers["ETag"] == 'W/"1"'
    assert "Last-Modified" in response.headers


def test_read_unknown_id_is_404(client: httpx.Client) -> None:
    response = client.get("/Patient/never-created-here")
    assert_outcome(response, 404, error_codes.RESOURCE_NOT_FOUND)


def test_read_is_scoped_by_type(client: httpx.Client) -> None:
    created = create_patient(client)
    response = client.get(f"/Observation/{created['id']}")
    assert_outcome(response, 404, error_codes.RESOURCE_NOT_FOUND)


def test_vread_returns_every_version(client: httpx.Client) -> None:
    created = create_patient(client, gender="female")
    id_ = created["id"]
    for version, gender in ((2, "male"), (3, "other")):
        updated = client.put(f"/Patient/{id_}", json=patient(id=id_, gender=gender))
        assert updated.status_code == 200
        assert updated.json()["meta"]["versionId"] == str(version)
    for version, gender in ((1, "female"), (2, "male"), (3, "other")):
        response = client.get(f"/Patient/{id_}/_history/{version}")
        assert response.status_code == 200
        assert response.json()["gender"] == gender
        assert response.json()["meta"]["versionId"] == str(version)
        assert response.headers["ETag"] == f'W/"{version}"'
        assert response.headers["Content-Location"].endswith(f"/Patient/{id_}/_history/{version}")


@pytest.mark.parametrize("vid", ["4", "0", "abc"])
def test_vread_of_a_missing_version_is_404(client: httpx.Client, vid: str) -> None:
    created = create_patient(client)
    response = client.get(f"/Patient/{created['id']}/_history/{vid}")
    assert_outcome(response, 404, error_codes.VERSION_NOT_FOUND)


def test_prefer_return_minimal_has_no_body(client: httpx.Client) -> None:
    response = client.post(
        "/Patient", json=patient(gender="female"), headers={"Prefer": "return=minimal"}
    )
    assert response.status_code == 201
    assert response.content == b""
    location = response.headers["Location"]
    assert response.headers["ETag"] == 'W/"1"'
    assert client.get(location).json()["gender"] == "female"


def test_prefer_return_representation_has_the_resource(client: httpx.Client) -> None:
    response = client.post(
        "/Patient", json=patient(gender="male"), headers={"Prefer": "return=representation"}
    )
    assert response.status_code == 201
    assert response.json()["resourceType"] == "Patient"
    assert response.json()["gender"] == "male"


def test_prefer_return_operation_outcome(client: httpx.Client) -> None:
    response = client.post(
        "/Patient", json=patient(), headers={"Prefer": "return=OperationOutcome"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["severity"] == "information"
    assert response.headers["Location"].endswith("/_history/1")


def test_prefer_return_minimal_on_update(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    response = client.put(
        f"/Patient/{id_}", json=patient(id=id_), headers={"Prefer": "return=minimal"}
    )
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Content-Location"].endswith(f"/Patient/{id_}/_history/2")


def test_unknown_prefer_return_is_400(client: httpx.Client) -> None:
    response = client.post("/Patient", json=patient(), headers={"Prefer": "return=everything"})
    assert_outcome(response, 400, error_codes.BAD_PREFER)


def test_nutrition_intake_round_trip(client: httpx.Client) -> None:
    example = load(NUTRITION_INTAKE_EXAMPLE)
    response = client.post("/NutritionIntake", json=without_id(example))
    assert response.status_code == 201, response.text
    id_ = response.json()["id"]
    assert id_ != example["id"]
    read = client.get(f"/NutritionIntake/{id_}")
    assert read.status_code == 200
    body = read.json()
    assert body["resourceType"] == "NutritionIntake"
    assert body["status"] == "completed"
    assert body["consumedItem"] == example["consumedItem"]
    assert body["identifier"] == example["identifier"]
    assert body["meta"]["tag"] == example["meta"]["tag"]


def test_nutrition_intake_with_bad_status_is_refused(client: httpx.Client) -> None:
    body = without_id(load(NUTRITION_INTAKE_EXAMPLE))
    body["status"] = "eaten"
    response = client.post("/NutritionIntake", json=body)
    assert_outcome(response, 400, error_codes.RESOURCE_INVALID)


@pytest.mark.parametrize("path", r4_example_paths(), ids=lambda p: p.stem)
def test_spec_examples_round_trip(client: httpx.Client, path: Path) -> None:
    example = load(path)
    response = client.post(f"/{example['resourceType']}", json=without_id(example))
    assert response.status_code == 201, response.text
    stored = client.get(f"/{example['resourceType']}/{response.json()['id']}").json()
    for key, value in example.items():
        if key not in ("id", "meta"):
            assert stored[key] == value, key
