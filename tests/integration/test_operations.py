"""Operations: routing by code and level, parameters from a body or the query, $meta."""

from __future__ import annotations

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import assert_outcome, create_patient

pytestmark = pytest.mark.integration

_PROFILE = "http://example.org/StructureDefinition/p"


def _tagged_patient(client: httpx.Client) -> str:
    meta = {"profile": [_PROFILE], "tag": [{"system": "urn:t", "code": "a"}]}
    return str(create_patient(client, meta=meta)["id"])


def test_meta_returns_profiles_and_tags_by_get_and_post(client: httpx.Client) -> None:
    id_ = _tagged_patient(client)
    for response in (
        client.get(f"/Patient/{id_}/$meta"),
        client.post(f"/Patient/{id_}/$meta", json={"resourceType": "Parameters"}),
    ):
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["resourceType"] == "Parameters"
        meta = body["parameter"][0]["valueMeta"]
        assert meta == {"profile": [_PROFILE], "tag": [{"system": "urn:t", "code": "a"}]}


def test_meta_of_an_unknown_resource_is_404(client: httpx.Client) -> None:
    assert_outcome(client.get("/Patient/nobody-here/$meta"), 404, error_codes.RESOURCE_NOT_FOUND)


def test_meta_of_a_deleted_resource_is_410(client: httpx.Client) -> None:
    id_ = _tagged_patient(client)
    assert client.delete(f"/Patient/{id_}").status_code == 200
    assert_outcome(client.get(f"/Patient/{id_}/$meta"), 410, error_codes.RESOURCE_GONE)


def test_an_unknown_operation_is_404(client: httpx.Client) -> None:
    for path in ("/$no-such-op", "/Patient/$no-such-op", "/Patient/1/$no-such-op"):
        assert_outcome(client.get(path), 404, error_codes.UNKNOWN_OPERATION)


def test_an_operation_at_a_level_it_does_not_support_is_400(client: httpx.Client) -> None:
    for path in ("/$meta", "/Patient/$meta"):
        assert_outcome(client.post(path), 400, error_codes.OPERATION_LEVEL)


def test_an_operation_on_an_unknown_type_is_404(client: httpx.Client) -> None:
    assert_outcome(client.get("/Nothing/1/$meta"), 404, error_codes.UNKNOWN_RESOURCE_TYPE)


def test_an_unknown_parameter_is_400_by_query_and_by_body(client: httpx.Client) -> None:
    id_ = _tagged_patient(client)
    body = {"resourceType": "Parameters", "parameter": [{"name": "x", "valueString": "1"}]}
    for response in (
        client.get(f"/Patient/{id_}/$meta?x=1"),
        client.post(f"/Patient/{id_}/$meta", json=body),
    ):
        assert_outcome(response, 400, error_codes.BAD_OPERATION_PARAMETER)


def test_a_body_that_is_not_a_resource_is_400(client: httpx.Client) -> None:
    id_ = _tagged_patient(client)
    response = client.post(f"/Patient/{id_}/$meta", content=b"[1]")
    assert_outcome(response, 400, error_codes.NOT_A_RESOURCE)


def test_a_body_of_another_media_type_is_415(client: httpx.Client) -> None:
    id_ = _tagged_patient(client)
    response = client.post(
        f"/Patient/{id_}/$meta", content=b"x", headers={"Content-Type": "text/plain"}
    )
    assert_outcome(response, 415, error_codes.UNSUPPORTED_CONTENT_TYPE)


def test_the_capability_statement_lists_the_operation(client: httpx.Client) -> None:
    rest = client.get("/metadata").json()["rest"][0]
    assert {
        "name": "meta",
        "definition": "http://hl7.org/fhir/OperationDefinition/Resource-meta",
    } in rest["operation"]
