"""``private_key_jwt`` client authentication (RFC 7523), as SMART Backend Services use it.

https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html
The assertion is signed with RS384 or ES384 by a key in the client's registered JWKS; ``iss``
and ``sub`` are the client id, ``aud`` is our token endpoint, ``exp`` is at most five minutes
ahead, and ``jti`` is single use (the caller checks the replay cache).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from smart_auth.keys import CLIENT_ASSERTION_ALGS
from smart_auth.oauth_errors import OAuthError, invalid_client

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_LIFETIME_S = 300
LEEWAY_S = 60


@dataclass(frozen=True)
class VerifiedAssertion:
    """A verified assertion: who signed it and its single-use id."""

    client_id: str
    jti: str
    exp: int


def unverified_issuer(assertion: str) -> str:
    """The ``iss`` claim before verification: it names the client whose keys verify it."""
    try:
        payload = jws.extract_compact(assertion.encode()).payload
        claims = json.loads(payload)
    except (JoseError, ValueError, TypeError):
        raise invalid_client("client_assertion is not a JWT") from None
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    if not isinstance(issuer, str) or not issuer:
        raise invalid_client("client_assertion has no iss")
    return issuer


def _signature_checked(assertion: str, jwks: dict[str, Any]) -> dict[str, Any]:
    try:
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        token = jwt.decode(assertion, keys, algorithms=list(CLIENT_ASSERTION_ALGS))
    except (JoseError, ValueError, KeyError, TypeError) as error:
        reason = type(error).__name__
        raise invalid_client(f"client_assertion signature not verified ({reason})") from None
    return token.claims


def _audience_ok(aud: Any, token_endpoint: str) -> bool:
    audiences = aud if isinstance(aud, list) else [aud]
    return token_endpoint in audiences


def _check_claims(claims: dict[str, Any], client_id: str, token_endpoint: str) -> OAuthError | None:
    now = time.time()
    exp = claims.get("exp")
    problem = None
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        problem = "iss and sub must be the client id"
    elif not _audience_ok(claims.get("aud"), token_endpoint):
        problem = f"aud must be the token endpoint {token_endpoint}"
    elif not isinstance(exp, int):
        problem = "exp missing"
    elif exp + LEEWAY_S < now:
        problem = "client_assertion expired"
    elif exp > now + MAX_LIFETIME_S + LEEWAY_S:
        problem = "exp is more than five minutes ahead"
    elif not isinstance(claims.get("jti"), str) or not claims["jti"]:
        problem = "jti missing"
    return invalid_client(problem) if problem else None


def verify_client_assertion(
    assertion: str, client_id: str, jwks: dict[str, Any], token_endpoint: str
) -> VerifiedAssertion:
    """Verify the assertion against the client's JWKS; raises ``OAuthError`` (invalid_client)."""
    claims = _signature_checked(assertion, jwks)
    problem = _check_claims(claims, client_id, token_endpoint)
    if problem:
        raise problem
    return VerifiedAssertion(client_id, str(claims["jti"]), int(claims["exp"]))


def sign_client_assertion(
    private_jwks: dict[str, Any], client_id: str, token_endpoint: str, alg: str, jti: str
) -> str:
    """A client assertion signed with the first key of ``private_jwks`` (CLI and tests)."""
    keys = KeySet.import_key_set(private_jwks)  # type: ignore[arg-type]
    key = keys.keys[0]
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": token_endpoint,
        "exp": now + MAX_LIFETIME_S - 10,
        "iat": now,
        "jti": jti,
    }
    return jwt.encode({"alg": alg, "kid": key.kid, "typ": "JWT"}, claims, key, algorithms=[alg])
