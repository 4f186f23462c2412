"""The bearer guard: FHIR requests without a valid token get 401 with an OperationOutcome and
a ``WWW-Authenticate: Bearer`` challenge; a valid token passes."""

from __future__ import annotations

import httpx
import pytest

from resources import error_codes
from tests.auth_fixtures import TokenMinter

pytestmark = pytest.mark.integration


def _nv_code(response: httpx.Response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return str(body["issue"][0]["details"]["coding"][0]["code"])


def test_no_token_is_401_with_a_bearer_challenge(auth_base_url: str) -> None:
    for method, path in (("GET", "/Patient"), ("GET", "/Patient/x"), ("POST", "")):
        response = httpx.request(method, f"{auth_base_url}{path}", json={})
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"].startswith("Bearer ")
        assert response.headers["content-type"].startswith("application/fhir+json")
        assert _nv_code(response) == error_codes.TOKEN_MISSING


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer eyJhbGciOiJub25lIn0.e30."],
)
def test_a_bad_token_is_401_invalid_token(auth_base_url: str, authorization: str) -> None:
    response = httpx.get(f"{auth_base_url}/Patient", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert _nv_code(response) == error_codes.TOKEN_INVALID


def test_an_expired_token_is_401(auth_base_url: str, mint_token: TokenMinter) -> None:
    token = mint_token("system/*.rs", lifetime_s=-120)
    response = httpx.get(f"{auth_base_url}/Patient", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert _nv_code(response) == error_codes.TOKEN_EXPIRED


def test_a_valid_token_reads_and_metadata_needs_none(
    auth_base_url: str, mint_token: TokenMinter
) -> None:
    headers = {"Authorization": f"Bearer {mint_token('system/*.cruds')}"}
    created = httpx.post(
        f"{auth_base_url}/Patient", json={"resourceType": "Patient"}, headers=headers
    )
    assert created.status_code == 201
    read = httpx.get(f"{auth_base_url}/Patient/{created.json()['id']}", headers=headers)
    assert read.status_code == 200
    assert httpx.get(f"{auth_base_url}/metadata").status_code == 200


def test_the_shared_test_server_runs_without_auth(base_url: str) -> None:
    assert httpx.get(f"{base_url}/Patient").status_code == 200
