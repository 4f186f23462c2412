"""Token introspection (RFC 7662) and revocation (RFC 7009).

https://hl7.org/fhir/smart-app-launch/token-introspection.html
Introspection needs a caller: an authenticated client, or a bearer token of this server.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fhir_server.auth import redis_state, refresh_tokens
from fhir_server.auth.client_auth import authenticate_client, require
from fhir_server.auth.clients import Client
from fhir_server.auth.server import AuthServer, auth_server, endpoints
from fhir_server.http.oauth_forms import oauth_error, oauth_json, read_form
from smart_auth.oauth_errors import OAuthError, invalid_client
from smart_auth.tokens import TokenRejected, decode_access_token

_CONTEXT_CLAIMS = ("patient", "encounter", "fhirUser")


async def _valid_access_claims(
    request: Request, server: AuthServer, value: str
) -> dict[str, Any] | None:
    try:
        claims = decode_access_token(server.key, value, leeway_s=0)
    except TokenRejected:
        return None
    if await redis_state.is_revoked(request.app.state.redis, claims["jti"], claims.get("grant_id")):
        return None
    return claims


async def _authorise_caller(request: Request, form: dict[str, str]) -> None:
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        if await _valid_access_claims(request, auth_server(request), authorization[7:].strip()):
            return
        raise invalid_client("the bearer token of the introspection request is not valid")
    async with request.app.state.engine.connect() as conn:
        client = await authenticate_client(
            conn, request.app.state.redis, form, authorization or None, endpoints(request).token
        )
    if not client.confidential:
        raise invalid_client("introspection needs a confidential client or a bearer token")


def _access_response(claims: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "active": True,
        "scope": claims["scope"],
        "client_id": claims["client_id"],
        "token_type": "Bearer",
        **{k: claims[k] for k in ("exp", "iat", "sub", "iss", "aud", "jti") if k in claims},
    }
    body.update({k: claims[k] for k in _CONTEXT_CLAIMS if k in claims})
    return body


async def _introspect(request: Request, value: str) -> dict[str, Any]:
    claims = await _valid_access_claims(request, auth_server(request), value)
    if claims is not None:
        return _access_response(claims)
    async with request.app.state.engine.connect() as conn:
        stored = await refresh_tokens.lookup(conn, value)
    if stored is None or not stored.active:
        return {"active": False}
    grant = stored.grant
    body: dict[str, Any] = {
        "active": True,
        "scope": " ".join(grant.scopes),
        "client_id": grant.client_id,
        "token_type": "refresh_token",
        "exp": int(stored.expires_at.timestamp()),
    }
    if grant.subject:
        body["sub"] = grant.subject
    return body


async def introspect(request: Request) -> Response:
    """``POST /auth/introspect``."""
    try:
        form = await read_form(request)
        await _authorise_caller(request, form)
        return oauth_json(await _introspect(request, require(form, "token")))
    except OAuthError as error:
        return oauth_error(error)


async def _revoke(request: Request, client: Client, value: str) -> None:
    server = auth_server(request)
    redis = request.app.state.redis
    ttl = server.settings.access_token_lifetime_s
    claims = await _valid_access_claims(request, server, value)
    if claims is not None:
        if claims["client_id"] == client.client_id:
            await redis_state.revoke_token(redis, claims["jti"], int(claims["exp"] - time.time()))
        return
    async with request.app.state.engine.connect() as conn:
        stored = await refresh_tokens.lookup(conn, value)
    if stored is not None and stored.grant.client_id == client.client_id:
        await refresh_tokens.revoke_family(
            request.app.state.engine, redis, stored.grant.grant_id, ttl
        )


async def revoke(request: Request) -> Response:
    """``POST /auth/revoke``: always 200 for a known client, whatever the token was."""
    try:
        form = await read_form(request)
        async with request.app.state.engine.connect() as conn:
            client = await authenticate_client(
                conn,
                request.app.state.redis,
                form,
                request.headers.get("authorization"),
                endpoints(request).token,
            )
        await _revoke(request, client, require(form, "token"))
        auth_server(request).verifier.invalidate()
    except OAuthError as error:
        return oauth_error(error)
    return oauth_json({})
