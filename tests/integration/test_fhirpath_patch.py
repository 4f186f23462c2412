"""FHIRPath Patch over HTTP (``PATCH`` with a ``Parameters`` body in ``application/fhir+json``,
https://hl7.org/fhir/R4/fhirpatch.html)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import (
    assert_outcome,
    create_patient,
    newest_version,
    unique_system,
)

pytestmark = pytest.mark.integration


def _operation(kind: str, path: str, **parts: Any) -> dict[str, Any]:
    part: list[dict[str, Any]] = [
        {"name": "type", "valueCode": kind},
        {"name": "path", "valueString": path},
    ]
    for name, value in parts.items():
        if name == "value" and isinstance(value, dict):
            part.append({"name": "value", **value})
        elif isinstance(value, int):
            part.append({"name": name, "valueInteger": value})
        else:
            part.append({"name": name, "valueString": value})
    return {"name": "operation", "part": part}


def _parameters(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": list(operations)}


def _patch(client: httpx.Client, url: str, body: Any, **params: str) -> httpx.Response:
    headers = {"Content-Type": "application/fhir+json"}
    return client.patch(url, json=body, params=params, headers=headers)


def _identifiers(system: str, *values: str) -> list[dict[str, str]]:
    return [{"system": system, "value": value} for value in values]


def test_replace_add_insert_move_delete(client: httpx.Client) -> None:
    system = unique_system()
    existing = create_patient(client, identifier=_identifiers(system, "a", "b"), gender="male")
    body = _parameters(
        _operation("replace", "Patient.gender", value={"valueCode": "female"}),
        _operation("add", "Patient", name="birthDate", value={"valueDate": "1970-01-02"}),
        _operation(
            "insert", "Patient.identifier", index=0, value={"valueIdentifier": {"value": "c"}}
        ),
        _operation("move", "Patient.identifier", source=2, destination=0),
        _operation("delete", "Patient.identifier.where(value = 'a')"),
    )
    response = _patch(client, f"/Patient/{existing['id']}", body)
    assert response.status_code == 200, response.text
    patched = response.json()
    assert (patched["gender"], patched["birthDate"]) == ("female", "1970-01-02")
    assert patched["identifier"] == [{"system": system, "value": "b"}, {"value": "c"}]
    assert patched["meta"]["versionId"] == "2"
    assert response.headers["ETag"] == 'W/"2"'
    assert client.get(f"/Patient/{existing['id']}").json() == patched


def test_add_anonymous_type_builds_arrays_from_the_model(client: httpx.Client) -> None:
    existing = create_patient(client)
    contact = {"part": [{"name": "name", "valueHumanName": {"text": "a name"}}]}
    body = _parameters(_operation("add", "Patient", name="contact", value=contact))
    response = _patch(client, f"/Patient/{existing['id']}", body)
    assert response.status_code == 200, response.text
    assert response.json()["contact"] == [{"name": {"text": "a name"}}]


def test_a_path_matching_nothing_is_422_and_writes_nothing(client: httpx.Client) -> None:
    existing = create_patient(client)
    before = newest_version(client)
    body = _parameters(_operation("replace", "Patient.gender", value={"valueCode": "male"}))
    response = _patch(client, f"/Patient/{existing['id']}", body)
    assert_outcome(response, 422, error_codes.FHIRPATH_PATCH_FAILED)
    assert newest_version(client) == before


@pytest.mark.parametrize(
    "body",
    [
        {"resourceType": "Patient"},
        [{"op": "add", "path": "/gender", "value": "male"}],
        _parameters({"name": "colour", "valueString": "red"}),
        _parameters(_operation("delete", "Observation.status")),
        _parameters(_operation("delete", "Patient.name.exists()")),
    ],
)
def test_malformed_patches_are_400(client: httpx.Client, body: Any) -> None:
    existing = create_patient(client)
    before = newest_version(client)
    response = _patch(client, f"/Patient/{existing['id']}", body)
    assert_outcome(response, 400, error_codes.BAD_FHIRPATH_PATCH)
    assert newest_version(client) == before


def test_a_patch_producing_an_invalid_resource_is_400(client: httpx.Client) -> None:
    existing = create_patient(client)
    body = _parameters(_operation("add", "Patient", name="gender", value={"valueCode": "dragon"}))
    response = _patch(client, f"/Patient/{existing['id']}", body)
    assert_outcome(response, 400, error_codes.RESOURCE_INVALID)


def test_a_patch_may_not_change_the_id(client: httpx.Client) -> None:
    existing = create_patient(client)
    body = _parameters(_operation("replace", "Patient.id", value={"valueId": "other"}))
    response = _patch(client, f"/Patient/{existing['id']}", body)
    assert_outcome(response, 400, error_codes.PATCH_CHANGES_IDENTITY)


def test_unknown_and_deleted_targets(client: httpx.Client) -> None:
    body = _parameters(_operation("delete", "Patient.gender"))
    assert_outcome(_patch(client, "/Patient/no-such-id", body), 404, error_codes.RESOURCE_NOT_FOUND)
    existing = create_patient(client)
    client.delete(f"/Patient/{existing['id']}")
    assert_outcome(
        _patch(client, f"/Patient/{existing['id']}", body), 410, error_codes.RESOURCE_GONE
    )


def test_if_match_applies(client: httpx.Client) -> None:
    existing = create_patient(client, gender="male")
    body = _parameters(_operation("delete", "Patient.gender"))
    headers = {"Content-Type": "application/fhir+json", "If-Match": 'W/"7"'}
    response = client.patch(f"/Patient/{existing['id']}", json=body, headers=headers)
    assert_outcome(response, 412, error_codes.VERSION_CONFLICT)


def test_conditional_fhirpath_patch(client: httpx.Client) -> None:
    system = unique_system()
    existing = create_patient(client, identifier=_identifiers(system, "x"))
    body = _parameters(_operation("add", "Patient", name="active", value={"valueBoolean": True}))
    response = _patch(client, "/Patient", body, identifier=f"{system}|x")
    assert response.status_code == 200, response.text
    assert (response.json()["id"], response.json()["active"]) == (existing["id"], True)


def test_other_patch_media_types_are_415(client: httpx.Client) -> None:
    existing = create_patient(client)
    response = client.patch(
        f"/Patient/{existing['id']}",
        content=b"<Parameters/>",
        headers={"Content-Type": "application/xml"},
    )
    assert_outcome(response, 415, error_codes.UNSUPPORTED_CONTENT_TYPE)
