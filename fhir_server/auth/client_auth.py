"""Client authentication at the token, introspection and revocation endpoints.

``client_secret_basic``, ``client_secret_post``, ``private_key_jwt`` (RFC 7523, with a
``jti`` replay cache in Redis) and public clients that only name themselves.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from urllib.parse import unquote

from sqlalchemy.ext.asyncio import AsyncConnection

from fhir_server.auth import redis_state
from fhir_server.auth.clients import ASYMMETRIC, SYMMETRIC, Client, client_jwks, get_client
from fhir_server.auth.redis_state import Redis
from smart_auth.client_assertion import (
    ASSERTION_TYPE,
    unverified_issuer,
    verify_client_assertion,
)
from smart_auth.credentials import matches_digest
from smart_auth.oauth_errors import OAuthError, invalid_client, invalid_request

BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="nutrivision"'}


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise _basic_failure("malformed Basic credentials") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise _basic_failure("malformed Basic credentials")
    return unquote(client_id), unquote(secret)


def _basic_failure(description: str) -> OAuthError:
    return OAuthError("invalid_client", description, 401, BASIC_CHALLENGE)


async def _known(conn: AsyncConnection, client_id: str) -> Client:
    client = await get_client(conn, client_id)
    if client is None:
        raise invalid_client("unknown client")
    return client


async def _by_secret(conn: AsyncConnection, client_id: str, secret: str, basic: bool) -> Client:
    client = await get_client(conn, client_id)
    ok = (
        client is not None
        and client.client_type == SYMMETRIC
        and client.secret_hash is not None
        and matches_digest(secret, client.secret_hash)
    )
    if not ok or client is None:
        failed = "client authentication failed"
        raise _basic_failure(failed) if basic else invalid_client(failed)
    return client


async def _by_assertion(
    conn: AsyncConnection,
    redis: Redis,
    form: Mapping[str, str],
    token_endpoint: str,
) -> Client:
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise invalid_client(f"client_assertion_type must be {ASSERTION_TYPE}", status=400)
    assertion = form.get("client_assertion", "")
    client = await _known(conn, unverified_issuer(assertion))
    if client.client_type != ASYMMETRIC:
        raise invalid_client("client is not registered for private_key_jwt")
    if form.get("client_id") not in (None, "", client.client_id):
        raise invalid_client("client_id does not match the assertion")
    verified = verify_client_assertion(
        assertion, client.client_id, client_jwks(client), token_endpoint
    )
    if not await redis_state.claim_jti(redis, client.client_id, verified.jti, verified.exp):
        raise invalid_client("client_assertion jti was already used")
    return client


async def authenticate_client(
    conn: AsyncConnection,
    redis: Redis,
    form: Mapping[str, str],
    authorization: str | None,
    token_endpoint: str,
) -> Client:
    """The client making the request, authenticated by whichever method it used."""
    basic = _basic_credentials(authorization)
    if basic is not None:
        return await _by_secret(conn, basic[0], basic[1], basic=True)
    if "client_assertion" in form or "client_assertion_type" in form:
        return await _by_assertion(conn, redis, form, token_endpoint)
    client_id = form.get("client_id")
    if not client_id:
        raise invalid_client("no client authentication and no client_id")
    if "client_secret" in form:
        return await _by_secret(conn, client_id, form["client_secret"], basic=False)
    client = await _known(conn, client_id)
    if client.confidential:
        raise invalid_client("this client must authenticate")
    return client


def require(form: Mapping[str, str], name: str) -> str:
    """A required form parameter."""
    value = form.get(name)
    if not value:
        raise invalid_request(f"{name} is required")
    return value
