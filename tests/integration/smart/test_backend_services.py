"""SMART Backend Services (Inferno STU2.2 group 3): client_credentials with private_key_jwt,
and with client secrets.

https://hl7.org/fhir/smart-app-launch/backend-services.html
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from joserfc import jwt

from fhir_server.auth.clients import ASYMMETRIC, Client
from fhir_server.embedded import ServiceUrls
from smart_auth.client_assertion import ASSERTION_TYPE
from tests.auth_fixtures import (
    BackendClient,
    private_jwks,
    public_jwks,
    register_client,
    token_endpoint,
)

pytestmark = pytest.mark.integration

MakeBackend = Callable[..., BackendClient]


def _post(base: str, form: dict[str, str], **kwargs: object) -> httpx.Response:
    return httpx.post(token_endpoint(base), data=form, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_a_valid_assertion_gets_a_bearer_token_that_reads(
    backend_client: MakeBackend, auth_base_url: str, alg: str
) -> None:
    client = backend_client("system/*.rs", alg=alg)
    response = _post(auth_base_url, client.token_form("system/Patient.rs"))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == "system/Patient.rs"
    assert "refresh_token" not in body
    read = httpx.get(
        f"{auth_base_url}/Patient", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert read.status_code == 200


def test_invalid_grant_type_is_400(backend_client: MakeBackend, auth_base_url: str) -> None:
    client = backend_client()
    response = _post(auth_base_url, client.token_form("system/*.rs", grant_type="not_a_grant"))
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_invalid_client_assertion_type_is_400(
    backend_client: MakeBackend, auth_base_url: str
) -> None:
    client = backend_client()
    form = client.token_form("system/*.rs", client_assertion_type="not_an_assertion_type")
    response = _post(auth_base_url, form)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


def test_an_assertion_signed_by_another_key_is_rejected(
    backend_client: MakeBackend, auth_base_url: str
) -> None:
    client = backend_client()
    impostor = BackendClient(client.client_id, private_jwks("ES384"), "ES384", auth_base_url)
    impostor.jwks["keys"][0]["kid"] = client.jwks["keys"][0]["kid"]
    response = _post(auth_base_url, impostor.token_form("system/*.rs"))
    assert response.status_code in (400, 401)
    assert response.json()["error"] == "invalid_client"


def test_an_invalid_jwt_is_rejected(backend_client: MakeBackend, auth_base_url: str) -> None:
    client = backend_client()
    response = _post(auth_base_url, client.token_form("system/*.rs", client_assertion="abc.def"))
    assert response.status_code in (400, 401)
    assert response.json()["error"] == "invalid_client"


def test_wrong_audience_is_rejected(backend_client: MakeBackend, auth_base_url: str) -> None:
    client = backend_client()
    form = client.token_form(
        "system/*.rs", client_assertion=client.assertion(audience="https://elsewhere/token")
    )
    response = _post(auth_base_url, form)
    assert response.status_code == 401
    assert "aud" in response.json()["error_description"]


def test_exp_more_than_five_minutes_ahead_is_rejected(
    backend_client: MakeBackend, auth_base_url: str
) -> None:
    client = backend_client()
    key = client.jwks["keys"][0]
    now = int(time.time())
    claims = {
        "iss": client.client_id,
        "sub": client.client_id,
        "aud": token_endpoint(auth_base_url),
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
    }
    from joserfc.jwk import ECKey

    assertion = jwt.encode(
        {"alg": "ES384", "kid": key["kid"]}, claims, ECKey.import_key(key), algorithms=["ES384"]
    )
    response = _post(auth_base_url, client.token_form("system/*.rs", client_assertion=assertion))
    assert response.status_code == 401
    assert "five minutes" in response.json()["error_description"]


def test_a_replayed_jti_is_rejected(backend_client: MakeBackend, auth_base_url: str) -> None:
    client = backend_client()
    assertion = client.assertion(jti="once-only")
    first = _post(auth_base_url, client.token_form("system/*.rs", client_assertion=assertion))
    assert first.status_code == 200
    again = _post(auth_base_url, client.token_form("system/*.rs", client_assertion=assertion))
    assert again.status_code == 401
    assert "jti" in again.json()["error_description"]


def test_scopes_beyond_the_registration_are_refused(
    backend_client: MakeBackend, auth_base_url: str
) -> None:
    client = backend_client("system/Observation.rs")
    refused = _post(auth_base_url, client.token_form("system/Patient.rs"))
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_scope"
    narrowed = _post(auth_base_url, client.token_form("system/Observation.rs system/Patient.rs"))
    assert narrowed.json()["scope"] == "system/Observation.rs"
    patient_scope = _post(auth_base_url, client.token_form("patient/Observation.rs"))
    assert patient_scope.json()["error"] == "invalid_scope"


def test_client_secret_basic_and_post(
    secret_client: Callable[..., tuple[str, str]], auth_base_url: str
) -> None:
    client_id, secret = secret_client("system/*.rs")
    form = {"grant_type": "client_credentials", "scope": "system/Patient.rs"}
    basic = _post(auth_base_url, form, auth=(client_id, secret))
    assert basic.status_code == 200, basic.text
    post = _post(auth_base_url, {**form, "client_id": client_id, "client_secret": secret})
    assert post.status_code == 200
    wrong = _post(auth_base_url, form, auth=(client_id, secret + "x"))
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"].startswith("Basic")
    wrong_post = _post(auth_base_url, {**form, "client_id": client_id, "client_secret": "x"})
    assert wrong_post.json()["error"] == "invalid_client"


def test_assertion_type_constant_is_the_rfc_value() -> None:
    assert ASSERTION_TYPE == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def test_jwks_uri_naming_a_local_file(
    services: ServiceUrls, auth_base_url: str, tmp_path: Path
) -> None:
    jwks = private_jwks("RS384")
    path = tmp_path / "client-jwks.json"
    path.write_text(json.dumps(public_jwks(jwks)))
    client_id = f"file-{uuid.uuid4().hex[:8]}"
    client = Client(client_id, "By URI", ASYMMETRIC, ("system/*.rs",), jwks_uri=path.as_uri())
    register_client(services.database_url, client)
    backend = BackendClient(client_id, jwks, "RS384", auth_base_url)
    assert backend.token("system/*.rs")


def test_malformed_or_mismatched_client_authentication(
    backend_client: MakeBackend,
    secret_client: Callable[..., tuple[str, str]],
    public_client: Callable[..., str],
    auth_base_url: str,
) -> None:
    form = {"grant_type": "client_credentials", "scope": "system/*.rs"}
    malformed = _post(auth_base_url, form, headers={"Authorization": "Basic !!!"})
    assert malformed.status_code == 401
    assert malformed.headers["www-authenticate"].startswith("Basic")
    client = backend_client()
    other = _post(auth_base_url, client.token_form("system/*.rs", client_id="someone-else"))
    assert other.json()["error"] == "invalid_client"
    secret_id, _secret = secret_client()
    impostor = BackendClient(secret_id, private_jwks("ES384"), "ES384", auth_base_url)
    assert _post(auth_base_url, impostor.token_form("system/*.rs")).status_code == 401
    public_id = public_client("patient/*.rs")
    public = _post(auth_base_url, {**form, "client_id": public_id})
    assert public.json()["error"] == "unauthorized_client"
    unknown = _post(auth_base_url, {**form, "client_id": "nobody"})
    assert unknown.json()["error"] == "invalid_client"
    json_body = httpx.post(token_endpoint(auth_base_url), json=form)
    assert json_body.json()["error"] == "invalid_request"
