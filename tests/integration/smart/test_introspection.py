"""Token introspection (Inferno STU2.2 group 4) and revocation (RFC 7009).

https://hl7.org/fhir/smart-app-launch/token-introspection.html
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.auth_fixtures import BackendClient

pytestmark = pytest.mark.integration


def _auth(base: str, name: str) -> str:
    return base.removesuffix("/fhir") + f"/auth/{name}"


def test_an_active_token_introspects_with_its_claims(
    backend_client: Callable[..., BackendClient], auth_base_url: str
) -> None:
    client = backend_client("system/*.rs")
    token = client.token("system/Patient.rs")
    caller = {"Authorization": f"Bearer {client.token('system/Patient.rs')}"}
    response = httpx.post(_auth(auth_base_url, "introspect"), data={"token": token}, headers=caller)
    assert response.status_code == 200
    body = response.json()
    assert body["active"] is True
    assert body["scope"] == "system/Patient.rs"
    assert body["client_id"] == client.client_id
    assert body["exp"] > body["iat"]
    assert body["iss"] == auth_base_url


def test_an_invalid_token_introspects_inactive(
    backend_client: Callable[..., BackendClient], auth_base_url: str
) -> None:
    client = backend_client()
    caller = {"Authorization": f"Bearer {client.token('system/*.rs')}"}
    response = httpx.post(
        _auth(auth_base_url, "introspect"), data={"token": "no-such-token"}, headers=caller
    )
    assert response.status_code == 200
    assert response.json() == {"active": False}


def test_introspection_needs_an_authenticated_caller(auth_base_url: str) -> None:
    response = httpx.post(_auth(auth_base_url, "introspect"), data={"token": "x"})
    assert response.status_code == 401


def test_introspection_by_a_confidential_client(
    secret_client: Callable[..., tuple[str, str]], auth_base_url: str
) -> None:
    client_id, secret = secret_client("system/*.rs")
    issued = httpx.post(
        _auth(auth_base_url, "token"),
        data={"grant_type": "client_credentials", "scope": "system/*.rs"},
        auth=(client_id, secret),
    ).json()["access_token"]
    response = httpx.post(
        _auth(auth_base_url, "introspect"), data={"token": issued}, auth=(client_id, secret)
    )
    assert response.json()["active"] is True


def test_a_revoked_token_is_inactive_and_refused(
    secret_client: Callable[..., tuple[str, str]], auth_base_url: str
) -> None:
    client_id, secret = secret_client("system/*.rs")
    token = httpx.post(
        _auth(auth_base_url, "token"),
        data={"grant_type": "client_credentials", "scope": "system/*.rs"},
        auth=(client_id, secret),
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{auth_base_url}/Patient", headers=bearer).status_code == 200
    revoked = httpx.post(
        _auth(auth_base_url, "revoke"), data={"token": token}, auth=(client_id, secret)
    )
    assert revoked.status_code == 200
    assert httpx.get(f"{auth_base_url}/Patient", headers=bearer).status_code == 401
    body = httpx.post(
        _auth(auth_base_url, "introspect"), data={"token": token}, auth=(client_id, secret)
    ).json()
    assert body == {"active": False}
