"""Update (PUT): new versions, update-as-create with a client id, and If-Match."""

from __future__ import annotations

import uuid

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import (
    assert_outcome,
    create_patient,
    entries_of,
    newest_version,
    patient,
)

pytestmark = pytest.mark.integration


def test_update_answers_200_with_the_new_version(client: httpx.Client) -> None:
    id_ = create_patient(client, gender="female")["id"]
    response = client.put(f"/Patient/{id_}", json=patient(id=id_, gender="male"))
    assert response.status_code == 200
    assert response.headers["Content-Location"].endswith(f"/fhir/Patient/{id_}/_history/2")
    assert "Location" not in response.headers
    assert response.headers["ETag"] == 'W/"2"'
    assert "Last-Modified" in response.headers
    body = response.json()
    assert body["gender"] == "male"
    assert body["meta"]["versionId"] == "2"
    assert client.get(f"/Patient/{id_}").json() == body


def test_update_replaces_the_whole_resource(client: httpx.Client) -> None:
    id_ = create_patient(client, gender="female", birthDate="1990-01-01")["id"]
    client.put(f"/Patient/{id_}", json=patient(id=id_, active=False))
    current = client.get(f"/Patient/{id_}").json()
    assert current["active"] is False
    assert "gender" not in current
    assert "birthDate" not in current


def test_update_keeps_client_meta_but_sets_version(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    tag = {"system": "http://example.org/tags", "code": "diet"}
    body = patient(id=id_, meta={"versionId": "99", "tag": [tag]})
    stored = client.put(f"/Patient/{id_}", json=body).json()
    assert stored["meta"]["versionId"] == "2"
    assert stored["meta"]["tag"] == [tag]


def test_update_as_create_with_a_client_id(client: httpx.Client) -> None:
    id_ = f"client-{uuid.uuid4().hex[:16]}"
    response = client.put(f"/Patient/{id_}", json=patient(id=id_, gender="female"))
    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"/fhir/Patient/{id_}/_history/1")
    assert response.headers["ETag"] == 'W/"1"'
    assert response.json()["id"] == id_
    assert client.get(f"/Patient/{id_}").json()["gender"] == "female"
    again = client.put(f"/Patient/{id_}", json=patient(id=id_, gender="male"))
    assert again.status_code == 200
    assert again.json()["meta"]["versionId"] == "2"


def test_update_if_match_current_version_succeeds(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    response = client.put(
        f"/Patient/{id_}", json=patient(id=id_, active=True), headers={"If-Match": 'W/"1"'}
    )
    assert response.status_code == 200
    assert response.headers["ETag"] == 'W/"2"'


def test_update_if_match_accepts_a_strong_etag(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    response = client.put(
        f"/Patient/{id_}", json=patient(id=id_, active=True), headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200


def test_update_if_match_stale_is_412_and_writes_nothing(client: httpx.Client) -> None:
    id_ = create_patient(client, gender="female")["id"]
    client.put(f"/Patient/{id_}", json=patient(id=id_, gender="male"))
    before = newest_version(client)
    response = client.put(
        f"/Patient/{id_}", json=patient(id=id_, gender="other"), headers={"If-Match": 'W/"1"'}
    )
    assert_outcome(response, 412, error_codes.VERSION_CONFLICT)
    assert newest_version(client) == before
    current = client.get(f"/Patient/{id_}")
    assert current.json()["gender"] == "male"
    assert current.headers["ETag"] == 'W/"2"'
    history = client.get(f"/Patient/{id_}/_history").json()
    assert history["total"] == 2


def test_update_as_create_with_if_match_is_412(client: httpx.Client) -> None:
    id_ = f"absent-{uuid.uuid4().hex[:16]}"
    response = client.put(f"/Patient/{id_}", json=patient(id=id_), headers={"If-Match": 'W/"1"'})
    assert_outcome(response, 412, error_codes.VERSION_CONFLICT)
    assert client.get(f"/Patient/{id_}").status_code == 404


@pytest.mark.parametrize("value", ["1", 'W/"one"', 'W/""', "*x"])
def test_update_with_a_malformed_if_match_is_400(client: httpx.Client, value: str) -> None:
    id_ = create_patient(client)["id"]
    response = client.put(f"/Patient/{id_}", json=patient(id=id_), headers={"If-Match": value})
    assert_outcome(response, 400, error_codes.BAD_ETAG)
    assert client.get(f"/Patient/{id_}").headers["ETag"] == 'W/"1"'


def test_update_history_lists_the_put(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    client.put(f"/Patient/{id_}", json=patient(id=id_, active=True))
    newest = entries_of(client.get(f"/Patient/{id_}/_history").json())[0]
    assert newest["request"] == {"method": "PUT", "url": f"Patient/{id_}"}
    assert newest["response"]["etag"] == 'W/"2"'
    assert newest["resource"]["active"] is True
