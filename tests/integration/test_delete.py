"""Delete: a logical delete recorded in history; reads after it answer 410 Gone."""

from __future__ import annotations

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import (
    assert_outcome,
    create_patient,
    entries_of,
    newest_version,
    patient,
    unique_system,
)

pytestmark = pytest.mark.integration


def _deleted_patient(client: httpx.Client) -> str:
    id_ = create_patient(client, gender="female")["id"]
    client.put(f"/Patient/{id_}", json=patient(id=id_, gender="male"))
    response = client.delete(f"/Patient/{id_}")
    assert response.status_code == 200, response.text
    return str(id_)


def test_delete_answers_200_with_an_outcome(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    response = client.delete(f"/Patient/{id_}")
    assert response.status_code == 200
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response.json()["issue"][0]["severity"] == "information"
    assert response.headers["ETag"] == 'W/"2"'


def test_read_after_delete_is_410(client: httpx.Client) -> None:
    id_ = _deleted_patient(client)
    response = client.get(f"/Patient/{id_}")
    assert_outcome(response, 410, error_codes.RESOURCE_GONE)
    assert response.headers["ETag"] == 'W/"3"'


def test_delete_is_in_instance_history_without_a_resource(client: httpx.Client) -> None:
    id_ = _deleted_patient(client)
    history = client.get(f"/Patient/{id_}/_history")
    assert history.status_code == 200
    bundle = history.json()
    assert bundle["total"] == 3
    newest = entries_of(bundle)[0]
    assert newest["request"]["method"] == "DELETE"
    assert newest["request"]["url"] == f"Patient/{id_}"
    assert "resource" not in newest
    assert newest["response"]["etag"] == 'W/"3"'
    assert [e["request"]["method"] for e in entries_of(bundle)] == ["DELETE", "PUT", "POST"]


def test_vread_of_the_deleted_version_is_410(client: httpx.Client) -> None:
    id_ = _deleted_patient(client)
    assert_outcome(client.get(f"/Patient/{id_}/_history/3"), 410, error_codes.RESOURCE_GONE)


def test_vread_of_earlier_versions_still_works(client: httpx.Client) -> None:
    id_ = _deleted_patient(client)
    first = client.get(f"/Patient/{id_}/_history/1")
    second = client.get(f"/Patient/{id_}/_history/2")
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["gender"] == "female"
    assert second.json()["gender"] == "male"


def test_delete_of_an_unknown_id_is_404(client: httpx.Client) -> None:
    before = newest_version(client)
    response = client.delete("/Patient/no-such-patient-here")
    assert_outcome(response, 404, error_codes.RESOURCE_NOT_FOUND)
    assert newest_version(client) == before


def test_delete_twice_is_idempotent(client: httpx.Client) -> None:
    id_ = _deleted_patient(client)
    before = newest_version(client)
    again = client.delete(f"/Patient/{id_}")
    assert again.status_code == 200
    assert again.headers["ETag"] == 'W/"3"'
    assert newest_version(client) == before
    assert client.get(f"/Patient/{id_}/_history").json()["total"] == 3


def test_delete_with_stale_if_match_is_412(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    client.put(f"/Patient/{id_}", json=patient(id=id_, active=True))
    response = client.delete(f"/Patient/{id_}", headers={"If-Match": 'W/"1"'})
    assert_outcome(response, 412, error_codes.VERSION_CONFLICT)
    assert client.get(f"/Patient/{id_}").status_code == 200
    assert client.delete(f"/Patient/{id_}", headers={"If-Match": 'W/"2"'}).status_code == 200


def test_deleted_resource_leaves_search(client: httpx.Client) -> None:
    system = unique_system()
    id_ = create_patient(client, identifier=[{"system": system, "value": "1"}])["id"]
    search = {"identifier": f"{system}|1"}
    assert len(entries_of(client.get("/Patient", params=search).json(), "match")) == 1
    client.delete(f"/Patient/{id_}")
    assert entries_of(client.get("/Patient", params=search).json(), "match") == []


def test_update_after_delete_makes_a_new_version(client: httpx.Client) -> None:
    id_ = _deleted_patient(client)
    response = client.put(f"/Patient/{id_}", json=patient(id=id_, gender="other"))
    assert response.status_code in (200, 201)
    assert response.json()["meta"]["versionId"] == "4"
    assert client.get(f"/Patient/{id_}").json()["gender"] == "other"


def test_patch_of_a_deleted_resource_is_410(client: httpx.Client) -> None:
    id_ = _deleted_patient(client)
    operations = [{"op": "replace", "path": "/gender", "value": "other"}]
    headers = {"Content-Type": "application/json-patch+json"}
    response = client.patch(f"/Patient/{id_}", json=operations, headers=headers)
    assert_outcome(response, 410, error_codes.RESOURCE_GONE)
