"""Access tokens and id_tokens: signed JWTs, and their verification into an AccessContext.

Access tokens follow RFC 9068 (``typ: at+jwt``) so that an id_token signed with the same key
is never accepted as an access token.
https://hl7.org/fhir/smart-app-launch/app-launch.html#response-5
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from smart_auth.context import AccessContext
from smart_auth.keys import ACCESS_TOKEN_ALG, ID_TOKEN_ALG

LEEWAY_S = 30
"""Clock skew allowed on expiry."""
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - the RFC 9068 media type


@dataclass(frozen=True)
class Grant:
    """What a token grants: the client, the scopes, the user and the launch context."""

    client_id: str
    scopes: tuple[str, ...]
    grant_id: str
    """Every token issued from one authorization (code, refresh chain) shares it."""
    subject: str | None = None
    fhir_user: str | None = None
    patient: str | None = None
    encounter: str | None = None


@dataclass(frozen=True)
class IssuedToken:
    """A signed access token and what the token response says about it."""

    value: str
    jti: str
    expires_in: int
    expires_at: int


class TokenRejected(Exception):
    """The token is malformed, wrongly signed, of the wrong type, or expired."""

    def __init__(self, reason: str, expired: bool = False) -> None:
        super().__init__(reason)
        self.expired = expired


def _claims(
    grant: Grant, issuer: str, audience: str, jti: str, iat: int, exp: int
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": grant.subject or grant.client_id,
        "client_id": grant.client_id,
        "scope": " ".join(grant.scopes),
        "iat": iat,
        "exp": exp,
        "jti": jti,
        "grant_id": grant.grant_id,
    }
    optional = {"patient": grant.patient, "encounter": grant.encounter, "fhirUser": grant.fhir_user}
    claims.update({name: value for name, value in optional.items() if value})
    if grant.subject is None:
        claims["nv_backend"] = True
    return claims


def issue_access_token(
    key: RSAKey, grant: Grant, issuer: str, audience: str, lifetime_s: int
) -> IssuedToken:
    """Sign an access token for ``grant``, valid ``lifetime_s`` seconds from now."""
    iat = int(time.time())
    jti = uuid.uuid4().hex
    claims = _claims(grant, issuer, audience, jti, iat, iat + lifetime_s)
    header = {"alg": ACCESS_TOKEN_ALG, "kid": key.kid, "typ": ACCESS_TOKEN_TYPE}
    value = jwt.encode(header, claims, key, algorithms=[ACCESS_TOKEN_ALG], default_type=None)
    return IssuedToken(value, jti, lifetime_s, iat + lifetime_s)


def decode_access_token(key: RSAKey, value: str, leeway_s: int = LEEWAY_S) -> dict[str, Any]:
    """The claims of a valid access token signed by ``key``; raises ``TokenRejected``."""
    try:
        token = jwt.decode(value, key, algorithms=[ACCESS_TOKEN_ALG])
    except (JoseError, ValueError) as error:
        raise TokenRejected(f"not a valid token: {type(error).__name__}") from None
    if token.header.get("typ") != ACCESS_TOKEN_TYPE:
        raise TokenRejected("not an access token")
    claims = token.claims
    for name in ("exp", "client_id", "jti", "scope"):
        if name not in claims:
            raise TokenRejected(f"claim {name} missing")
    exp = claims["exp"]
    if not isinstance(exp, int) or exp + leeway_s < time.time():
        raise TokenRejected("token expired", expired=True)
    return claims


def access_context(claims: dict[str, Any]) -> AccessContext:
    """The AccessContext of verified access-token claims."""
    backend = bool(claims.get("nv_backend"))
    return AccessContext(
        client_id=str(claims["client_id"]),
        scopes=tuple(str(claims["scope"]).split()),
        subject=None if backend else str(claims.get("sub")),
        fhir_user=claims.get("fhirUser"),
        patient=claims.get("patient"),
        encounter=claims.get("encounter"),
        token_id=str(claims["jti"]),
    )


def issue_id_token(
    key: RSAKey,
    grant: Grant,
    issuer: str,
    fhir_user_url: str | None,
    nonce: str | None,
    lifetime_s: int,
) -> str:
    """An OpenID Connect id_token for the user of ``grant`` (``fhirUser`` as an absolute URL)."""
    iat = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": grant.subject,
        "aud": grant.client_id,
        "iat": iat,
        "exp": iat + lifetime_s,
    }
    if fhir_user_url:
        claims["fhirUser"] = fhir_user_url
    if nonce:
        claims["nonce"] = nonce
    header = {"alg": ID_TOKEN_ALG, "kid": key.kid}
    return jwt.encode(header, claims, key, algorithms=[ID_TOKEN_ALG])
