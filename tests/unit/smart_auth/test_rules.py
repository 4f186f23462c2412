"""Pure token rules: PKCE, scope narrowing, access tokens, client assertions, passwords."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from smart_auth import pkce
from smart_auth.client_assertion import sign_client_assertion, verify_client_assertion
from smart_auth.credentials import check_password, hash_password, password_problems
from smart_auth.grants import covers, describe, grantable
from smart_auth.keys import generate_signing_key, public_jwks
from smart_auth.oauth_errors import OAuthError
from smart_auth.tokens import (
    Grant,
    TokenRejected,
    access_context,
    decode_access_token,
    issue_access_token,
    issue_id_token,
)

ENDPOINT = "https://fhir.example.org/auth/token"


def test_pkce_s256_rfc7636_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce.s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert pkce.verify(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not pkce.verify("x" * 43, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not pkce.verify("short", pkce.s256("short"))


@pytest.mark.parametrize(
    ("allowed", "requested", "expected"),
    [
        ("system/*.*", "system/Patient.rs", True),
        ("system/*.read", "system/Patient.read", True),
        ("system/*.read", "system/Patient.rs", True),
        ("system/*.rs", "system/Patient.cruds", False),
        ("patient/*.rs", "user/Patient.rs", False),
        ("patient/Observation.rs", "patient/Patient.rs", False),
        ("patient/Observation.rs?category=x", "patient/Observation.rs", False),
        ("openid", "openid", True),
        ("launch", "launch/patient", False),
    ],
)
def test_scope_coverage(allowed: str, requested: str, expected: bool) -> None:
    assert covers(allowed, requested) is expected


def test_grantable_narrows_and_refuses_nothing_left() -> None:
    assert grantable(["system/Patient.rs", "system/x"], ["system/*.rs"]) == ("system/Patient.rs",)
    with pytest.raises(OAuthError) as raised:
        grantable(["user/*.rs"], ["system/*.rs"])
    assert raised.value.error == "invalid_scope"


def test_scopes_in_plain_words() -> None:
    assert (
        describe("patient/Observation.rs")
        == "Read, search Observation records for the selected patient"
    )
    assert describe("offline_access").startswith("Keep access")


def _grant(**extra: Any) -> Grant:
    return Grant("app", ("patient/*.rs", "openid"), uuid.uuid4().hex, **extra)


def test_access_token_round_trip_into_an_access_context() -> None:
    key = generate_signing_key()
    grant = _grant(subject="u1", fhir_user="Patient/7", patient="7", encounter="e1")
    token = issue_access_token(key, grant, "https://x/fhir", "https://x/fhir", 900)
    context = access_context(decode_access_token(key, token.value))
    assert context.client_id == "app"
    assert context.scopes == ("patient/*.rs", "openid")
    assert (context.subject, context.fhir_user, context.patient, context.encounter) == (
        "u1",
        "Patient/7",
        "7",
        "e1",
    )
    assert context.token_id == token.jti


def test_backend_token_has_no_subject() -> None:
    key = generate_signing_key()
    token = issue_access_token(key, _grant(), "https://x/fhir", "https://x/fhir", 900)
    assert access_context(decode_access_token(key, token.value)).subject is None


def test_tokens_of_another_key_expired_or_id_tokens_are_rejected() -> None:
    key, other = generate_signing_key(), generate_signing_key()
    token = issue_access_token(other, _grant(), "i", "a", 900)
    with pytest.raises(TokenRejected):
        decode_access_token(key, token.value)
    expired = issue_access_token(key, _grant(), "i", "a", -120)
    with pytest.raises(TokenRejected) as raised:
        decode_access_token(key, expired.value)
    assert raised.value.expired
    id_token = issue_id_token(key, _grant(subject="u"), "i", None, None, 900)
    with pytest.raises(TokenRejected):
        decode_access_token(key, id_token)


def test_public_jwks_has_no_private_members() -> None:
    (published,) = public_jwks(generate_signing_key())["keys"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(published)


def _es384() -> tuple[dict[str, Any], dict[str, Any]]:
    key = ECKey.generate_key("P-384", private=True)
    key.ensure_kid()
    return {"keys": [key.as_dict(private=True)]}, {"keys": [key.as_dict(private=False)]}


def test_client_assertion_verified_and_its_claims_checked() -> None:
    private, public = _es384()
    assertion = sign_client_assertion(private, "c1", ENDPOINT, "ES384", "j1")
    verified = verify_client_assertion(assertion, "c1", public, ENDPOINT)
    assert verified.jti == "j1"
    with pytest.raises(OAuthError):
        verify_client_assertion(assertion, "c2", public, ENDPOINT)
    with pytest.raises(OAuthError):
        verify_client_assertion(assertion, "c1", public, "https://elsewhere/token")
    with pytest.raises(OAuthError):
        verify_client_assertion(assertion, "c1", _es384()[1], ENDPOINT)


def test_client_assertion_alg_none_or_hs256_is_refused() -> None:
    public = _es384()[1]
    claims = {"iss": "c1", "sub": "c1", "aud": ENDPOINT, "exp": int(time.time()) + 60, "jti": "j"}
    from joserfc.jwk import OctKey

    forged = jwt.encode({"alg": "HS256"}, claims, OctKey.generate_key(256))
    with pytest.raises(OAuthError):
        verify_client_assertion(forged, "c1", public, ENDPOINT)


def test_passwords_bcrypt_and_strength() -> None:
    hashed = hash_password("Corr3ct-horse!")
    assert hashed.startswith("$2b$12$")
    assert check_password("Corr3ct-horse!", hashed)
    assert not check_password("wrong", hashed)
    assert not check_password("x", "not-a-hash")
    assert password_problems("short")
    assert password_problems("Corr3ct-horse!") == []
