"""The token endpoint: authorization_code, refresh_token and client_credentials grants.

https://hl7.org/fhir/smart-app-launch/app-launch.html#obtain-access-token
https://hl7.org/fhir/smart-app-launch/backend-services.html#obtain-access-token
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.auth import redis_state, refresh_tokens
from fhir_server.auth.client_auth import authenticate_client, require
from fhir_server.auth.clients import Client
from fhir_server.auth.issuing import TokenRequest, token_response, wants_refresh
from fhir_server.auth.server import auth_server, endpoints
from fhir_server.auth.users import get_user
from fhir_server.http.oauth_forms import oauth_error, oauth_json, read_form
from smart_auth import pkce
from smart_auth.credentials import digest
from smart_auth.grants import context_of, grantable
from smart_auth.oauth_errors import (
    OAuthError,
    invalid_grant,
    invalid_scope,
    unauthorized_client,
    unsupported_grant_type,
)
from smart_auth.tokens import Grant

CODE_KIND = "code"
GrantHandler = Callable[[Request, AsyncConnection, dict[str, str], Client], Awaitable[TokenRequest]]


def _refresh_expiry(request: Request, grant: Grant) -> Any:
    if not wants_refresh(grant.scopes):
        return None
    settings = auth_server(request).settings
    return refresh_tokens.expiry(
        grant, None, settings.refresh_token_lifetime_s, settings.online_refresh_lifetime_s
    )


async def _client_credentials(
    request: Request, conn: AsyncConnection, form: dict[str, str], client: Client
) -> TokenRequest:
    if not client.confidential:
        raise unauthorized_client("client_credentials needs a confidential client")
    requested = form.get("scope", "").split() or list(client.scopes)
    if any(context_of(s) in ("patient", "user") for s in requested):
        raise invalid_scope("a backend service may only ask for system scopes")
    scopes = grantable(requested, list(client.scopes))
    return TokenRequest(Grant(client.client_id, scopes, uuid.uuid4().hex))


async def _spend_code(request: Request, code: str) -> dict[str, Any]:
    """The code's record; a second use revokes every token issued from it."""
    redis = request.app.state.redis
    record = await redis_state.get_json(redis, CODE_KIND, digest(code))
    if record is None:
        raise invalid_grant("authorization code is invalid or expired")
    if not await redis_state.first_use(redis, CODE_KIND, digest(code), 600):
        settings = auth_server(request).settings
        await refresh_tokens.revoke_family(
            request.app.state.engine, redis, record["grant_id"], settings.access_token_lifetime_s
        )
        raise invalid_grant("authorization code was already used; its tokens are revoked")
    if record["expires_at"] < time.time():
        raise invalid_grant("authorization code expired")
    return dict(record)


def _check_code(record: dict[str, Any], form: dict[str, str], client: Client) -> None:
    if record["client_id"] != client.client_id:
        raise invalid_grant("authorization code was issued to another client")
    if form.get("redirect_uri") != record["redirect_uri"]:
        raise invalid_grant("redirect_uri does not match the authorization request")
    challenge = record.get("code_challenge")
    if challenge and not pkce.verify(form.get("code_verifier", ""), challenge):
        raise invalid_grant("code_verifier does not match the code_challenge")


async def _authorization_code(
    request: Request, conn: AsyncConnection, form: dict[str, str], client: Client
) -> TokenRequest:
    record = await _spend_code(request, require(form, "code"))
    _check_code(record, form, client)
    grant = Grant(
        client_id=client.client_id,
        scopes=tuple(record["scopes"]),
        grant_id=record["grant_id"],
        subject=record["subject"],
        fhir_user=record.get("fhir_user"),
        patient=record.get("patient"),
        encounter=record.get("encounter"),
    )
    return TokenRequest(
        grant, _refresh_expiry(request, grant), record.get("nonce"), record.get("extras", {})
    )


async def _refresh_token(
    request: Request, conn: AsyncConnection, form: dict[str, str], client: Client
) -> TokenRequest:
    settings = auth_server(request).settings
    stored = await refresh_tokens.use(
        request.app.state.engine,
        request.app.state.redis,
        require(form, "refresh_token"),
        client.client_id,
        settings.access_token_lifetime_s,
    )
    grant = stored.grant
    if grant.subject is not None:
        user = await get_user(conn, grant.subject)
        if user is None or user.locked:
            raise invalid_grant("the user of this grant is locked or removed")
    if form.get("scope"):
        asked = form["scope"].split()
        if not set(asked) <= set(grant.scopes):
            raise invalid_scope("a refresh may only ask for scopes already granted")
        grant = replace(grant, scopes=tuple(asked))
    expires = refresh_tokens.expiry(
        grant,
        stored.expires_at,
        settings.refresh_token_lifetime_s,
        settings.online_refresh_lifetime_s,
    )
    return TokenRequest(grant, expires if wants_refresh(grant.scopes) else None)


GRANTS: dict[str, GrantHandler] = {
    "client_credentials": _client_credentials,
    "authorization_code": _authorization_code,
    "refresh_token": _refresh_token,
}


async def _issue(request: Request, form: dict[str, str]) -> dict[str, Any]:
    grant_type = require(form, "grant_type")
    handler = GRANTS.get(grant_type)
    if handler is None:
        raise unsupported_grant_type(grant_type)
    urls = endpoints(request)
    async with request.app.state.engine.begin() as conn:
        client = await authenticate_client(
            conn,
            request.app.state.redis,
            form,
            request.headers.get("authorization"),
            urls.token,
        )
        token_request = await handler(request, conn, form, client)
        return await token_response(conn, auth_server(request), urls, token_request)


async def token(request: Request) -> Response:
    """``POST /auth/token``."""
    try:
        return oauth_json(await _issue(request, await read_form(request)))
    except OAuthError as error:
        # a refused code replay or refresh reuse may have revoked tokens just now
        auth_server(request).verifier.invalidate()
        return oauth_error(error)
