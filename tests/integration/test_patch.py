"""JSON Patch (``application/json-patch+json``, https://hl7.org/fhir/R4/http.html#patch)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import assert_outcome, create_patient, newest_version

pytestmark = pytest.mark.integration

PATCH_HEADERS = {"Content-Type": "application/json-patch+json"}


def _patch(
    client: httpx.Client, id_: str, operations: list[dict[str, Any]], **headers: str
) -> httpx.Response:
    return client.patch(f"/Patient/{id_}", json=operations, headers={**PATCH_HEADERS, **headers})


def test_replace_and_add_bump_the_version(client: httpx.Client) -> None:
    id_ = create_patient(client, gender="female")["id"]
    response = _patch(
        client,
        id_,
        [
            {"op": "replace", "path": "/gender", "value": "male"},
            {"op": "add", "path": "/birthDate", "value": "1975-05-05"},
        ],
    )
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == 'W/"2"'
    assert response.headers["Content-Location"].endswith(f"/Patient/{id_}/_history/2")
    body = response.json()
    assert (body["gender"], body["birthDate"]) == ("male", "1975-05-05")
    assert body["meta"]["versionId"] == "2"
    assert client.get(f"/Patient/{id_}").json() == body
    history = client.get(f"/Patient/{id_}/_history").json()
    assert history["entry"][0]["request"]["method"] == "PATCH"


def test_remove_and_test_ops(client: httpx.Client) -> None:
    id_ = create_patient(client, gender="female", active=True)["id"]
    response = _patch(
        client,
        id_,
        [{"op": "test", "path": "/gender", "value": "female"}, {"op": "remove", "path": "/active"}],
    )
    assert response.status_code == 200
    assert "active" not in client.get(f"/Patient/{id_}").json()


def test_patch_honours_if_match(client: httpx.Client) -> None:
    id_ = create_patient(client, gender="female")["id"]
    operations = [{"op": "replace", "path": "/gender", "value": "male"}]
    assert_outcome(
        _patch(client, id_, operations, **{"If-Match": 'W/"9"'}), 412, error_codes.VERSION_CONFLICT
    )
    assert _patch(client, id_, operations, **{"If-Match": 'W/"1"'}).status_code == 200


def test_failing_test_op_is_422_and_writes_nothing(client: httpx.Client) -> None:
    id_ = create_patient(client, gender="female")["id"]
    before = newest_version(client)
    response = _patch(
        client,
        id_,
        [
            {"op": "test", "path": "/gender", "value": "male"},
            {"op": "replace", "path": "/gender", "value": "other"},
        ],
    )
    assert_outcome(response, 422, error_codes.BAD_PATCH)
    assert newest_version(client) == before
    assert client.get(f"/Patient/{id_}").json()["gender"] == "female"


def test_patch_on_a_missing_path_is_422(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    response = _patch(client, id_, [{"op": "replace", "path": "/name/3/family", "value": "X"}])
    assert_outcome(response, 422, error_codes.BAD_PATCH)


def test_patch_changing_the_id_is_400(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    before = newest_version(client)
    response = _patch(client, id_, [{"op": "replace", "path": "/id", "value": "other-id"}])
    assert_outcome(response, 400, error_codes.PATCH_CHANGES_IDENTITY)
    assert newest_version(client) == before
    assert client.get("/Patient/other-id").status_code == 404


def test_patch_changing_the_resource_type_is_400(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    response = _patch(
        client, id_, [{"op": "replace", "path": "/resourceType", "value": "Practitioner"}]
    )
    assert_outcome(response, 400, error_codes.PATCH_CHANGES_IDENTITY)


def test_patch_of_an_unknown_id_is_404_and_creates_nothing(client: httpx.Client) -> None:
    before = newest_version(client)
    response = _patch(client, "never-patched", [{"op": "add", "path": "/gender", "value": "male"}])
    assert_outcome(response, 404, error_codes.RESOURCE_NOT_FOUND)
    assert newest_version(client) == before
    assert client.get("/Patient/never-patched").status_code == 404
    put = client.put(
        "/Patient/never-patched", json={"resourceType": "Patient", "id": "never-patched"}
    )
    assert put.status_code == 201, "the failed patch must not leave a resource row behind"


def test_patch_producing_an_invalid_resource_is_400_and_writes_nothing(
    client: httpx.Client,
) -> None:
    id_ = create_patient(client, gender="female")["id"]
    before = newest_version(client)
    response = _patch(client, id_, [{"op": "replace", "path": "/gender", "value": "xx"}])
    body = assert_outcome(response, 400, error_codes.RESOURCE_INVALID)
    assert any("Patient.gender" in issue.get("expression", []) for issue in body["issue"])
    assert newest_version(client) == before
    current = client.get(f"/Patient/{id_}")
    assert current.json()["gender"] == "female"
    assert current.headers["ETag"] == 'W/"1"'


@pytest.mark.parametrize(
    ("document", "nv_code"),
    [
        (b'{"op": "add"}', error_codes.BAD_PATCH),
        (b"[1, 2]", error_codes.BAD_PATCH),
        (b"not json", error_codes.INVALID_JSON),
        (b"", error_codes.BODY_REQUIRED),
    ],
    ids=["object", "array-of-numbers", "malformed", "empty"],
)
def test_a_malformed_patch_document_is_400(
    client: httpx.Client, document: bytes, nv_code: str
) -> None:
    id_ = create_patient(client)["id"]
    response = client.patch(f"/Patient/{id_}", content=document, headers=PATCH_HEADERS)
    assert_outcome(response, 400, nv_code)
    assert client.get(f"/Patient/{id_}").headers["ETag"] == 'W/"1"'


def test_an_unknown_patch_op_is_refused(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    response = _patch(client, id_, [{"op": "frobnicate", "path": "/gender"}])
    assert_outcome(response, 422, error_codes.BAD_PATCH)


def test_patch_with_plain_json_content_type_is_415(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    response = client.patch(
        f"/Patient/{id_}",
        json=[{"op": "add", "path": "/gender", "value": "male"}],
        headers={"Content-Type": "application/json"},
    )
    assert_outcome(response, 415, error_codes.UNSUPPORTED_CONTENT_TYPE)


def test_json_patch_array_sent_as_fhir_json_is_a_bad_fhirpath_patch(client: httpx.Client) -> None:
    # application/fhir+json on PATCH means FHIRPath Patch (test_fhirpath_patch.py)
    id_ = create_patient(client)["id"]
    response = client.patch(
        f"/Patient/{id_}", json=[{"op": "add", "path": "/gender", "value": "male"}]
    )
    assert_outcome(response, 400, error_codes.BAD_FHIRPATH_PATCH)
