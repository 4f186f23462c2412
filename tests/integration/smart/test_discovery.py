"""Discovery: smart-configuration, openid-configuration, JWKS, CORS, CapabilityStatement
security (Inferno STU2.2 group 1, discovery tests)."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.integration

CAPABILITIES = {
    "launch-ehr",
    "launch-standalone",
    "authorize-post",
    "client-public",
    "client-confidential-symmetric",
    "client-confidential-asymmetric",
    "sso-openid-connect",
    "context-ehr-patient",
    "context-ehr-encounter",
    "context-standalone-patient",
    "permission-offline",
    "permission-online",
    "permission-patient",
    "permission-user",
    "permission-v1",
    "permission-v2",
}
URL_FIELDS = (
    "jwks_uri",
    "authorization_endpoint",
    "token_endpoint",
    "introspection_endpoint",
    "revocation_endpoint",
)


def test_smart_configuration_lists_every_field_with_absolute_urls(auth_base_url: str) -> None:
    response = httpx.get(f"{auth_base_url}/.well-known/smart-configuration")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    config = response.json()
    assert config["issuer"] == auth_base_url
    for name in URL_FIELDS:
        assert config[name].startswith("http://127.0.0.1:"), name
    assert set(config["grant_types_supported"]) == {
        "authorization_code",
        "client_credentials",
        "refresh_token",
    }
    assert set(config["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    }
    assert set(config["token_endpoint_auth_signing_alg_values_supported"]) == {"RS384", "ES384"}
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["response_types_supported"] == ["code"]
    assert set(config["capabilities"]) >= CAPABILITIES
    assert {"openid", "fhirUser", "launch", "offline_access"} <= set(config["scopes_supported"])


def test_openid_configuration_and_jwks(auth_base_url: str) -> None:
    root = auth_base_url.removesuffix("/fhir")
    config = httpx.get(f"{root}/.well-known/openid-configuration").json()
    assert config["issuer"] == auth_base_url
    assert "RS256" in config["id_token_signing_alg_values_supported"]
    jwks = httpx.get(config["jwks_uri"]).json()
    (key,) = jwks["keys"]
    assert key["kty"] == "RSA"
    assert key["kid"]
    assert "d" not in key  # never the private part


def test_discovery_metadata_and_token_endpoints_answer_cors(auth_base_url: str) -> None:
    origin = {"Origin": "https://app.example.org"}
    for url in (
        f"{auth_base_url}/.well-known/smart-configuration",
        f"{auth_base_url}/metadata",
    ):
        response = httpx.get(url, headers=origin)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"
    preflight = httpx.options(
        f"{auth_base_url}/Patient",
        headers={
            **origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    token = httpx.post(
        auth_base_url.removesuffix("/fhir") + "/auth/token",
        data={"grant_type": "nonsense"},
        headers=origin,
    )
    assert token.headers["access-control-allow-origin"] == "*"


def test_capability_statement_names_the_oauth_uris(auth_base_url: str) -> None:
    statement = httpx.get(f"{auth_base_url}/metadata").json()
    security = statement["rest"][0]["security"]
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    (extension,) = security["extension"]
    assert (
        extension["url"] == "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
    )
    urls = {e["url"]: e["valueUri"] for e in extension["extension"]}
    config = httpx.get(f"{auth_base_url}/.well-known/smart-configuration").json()
    assert urls["token"] == config["token_endpoint"]
    assert urls["authorize"] == config["authorization_endpoint"]
