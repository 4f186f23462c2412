"""SMART configuration and OpenID Connect discovery documents.

https://hl7.org/fhir/smart-app-launch/conformance.html#using-well-known
https://openid.net/specs/openid-connect-discovery-1_0.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smart_auth.keys import ACCESS_TOKEN_ALG, CLIENT_ASSERTION_ALGS, ID_TOKEN_ALG

CAPABILITIES = (
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
    "context-banner",
    "context-style",
    "permission-offline",
    "permission-online",
    "permission-patient",
    "permission-user",
    "permission-v1",
    "permission-v2",
)
SCOPES_SUPPORTED = (
    "openid",
    "fhirUser",
    "profile",
    "launch",
    "launch/patient",
    "launch/encounter",
    "offline_access",
    "online_access",
    "patient/*.read",
    "patient/*.rs",
    "patient/*.cruds",
    "user/*.read",
    "user/*.rs",
    "user/*.cruds",
    "system/*.read",
    "system/*.rs",
    "system/*.cruds",
)
GRANT_TYPES = ("authorization_code", "client_credentials", "refresh_token")
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")


@dataclass(frozen=True)
class Endpoints:
    """The absolute URLs of the authorization server's endpoints."""

    issuer: str
    authorize: str
    token: str
    introspect: str
    revoke: str
    jwks: str
    launch: str

    @classmethod
    def at(cls, fhir_base: str, auth_base: str) -> Endpoints:
        """The endpoints for a FHIR base and the OAuth endpoints' base URL."""
        return cls(
            issuer=fhir_base,
            authorize=f"{auth_base}/authorize",
            token=f"{auth_base}/token",
            introspect=f"{auth_base}/introspect",
            revoke=f"{auth_base}/revoke",
            jwks=f"{auth_base}/jwks",
            launch=f"{auth_base}/launch",
        )


def smart_configuration(endpoints: Endpoints) -> dict[str, Any]:
    """``/.well-known/smart-configuration``."""
    return {
        "issuer": endpoints.issuer,
        "jwks_uri": endpoints.jwks,
        "authorization_endpoint": endpoints.authorize,
        "token_endpoint": endpoints.token,
        "introspection_endpoint": endpoints.introspect,
        "revocation_endpoint": endpoints.revoke,
        "grant_types_supported": list(GRANT_TYPES),
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(CLIENT_ASSERTION_ALGS),
        "scopes_supported": list(SCOPES_SUPPORTED),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "capabilities": list(CAPABILITIES),
    }


def openid_configuration(endpoints: Endpoints) -> dict[str, Any]:
    """``/.well-known/openid-configuration``."""
    return {
        "issuer": endpoints.issuer,
        "authorization_endpoint": endpoints.authorize,
        "token_endpoint": endpoints.token,
        "jwks_uri": endpoints.jwks,
        "introspection_endpoint": endpoints.introspect,
        "revocation_endpoint": endpoints.revoke,
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ID_TOKEN_ALG, ACCESS_TOKEN_ALG],
        "scopes_supported": list(SCOPES_SUPPORTED),
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "fhirUser"],
        "grant_types_supported": list(GRANT_TYPES),
        "code_challenge_methods_supported": ["S256"],
    }
