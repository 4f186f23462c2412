"""Token responses: the access token, and as the grant asks a refresh token and an id_token.

https://hl7.org/fhir/smart-app-launch/app-launch.html#response-5
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from fhir_server.auth import refresh_tokens
from fhir_server.auth.server import AuthServer
from smart_auth.discovery import Endpoints
from smart_auth.tokens import Grant, issue_access_token, issue_id_token

ID_TOKEN_LIFETIME_S = 3600


@dataclass(frozen=True)
class TokenRequest:
    """What to put in one token response besides the access token."""

    grant: Grant
    refresh_expires: datetime | None = None
    """Set when the response carries a refresh token (offline_access or online_access)."""
    nonce: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    """Launch context fields: need_patient_banner, smart_style_url."""


def wants_refresh(scopes: tuple[str, ...]) -> bool:
    """offline_access or online_access asks for a refresh token."""
    return "offline_access" in scopes or "online_access" in scopes


def wants_id_token(scopes: tuple[str, ...], subject: str | None) -> bool:
    """``openid`` for a signed-in user (``fhirUser`` adds the claim)."""
    return subject is not None and "openid" in scopes


async def token_response(
    conn: AsyncConnection, server: AuthServer, urls: Endpoints, request: TokenRequest
) -> dict[str, Any]:
    """The JSON body of a successful token response."""
    grant = request.grant
    lifetime = server.settings.access_token_lifetime_s
    token = issue_access_token(server.key, grant, urls.issuer, urls.issuer, lifetime)
    body: dict[str, Any] = {
        "access_token": token.value,
        "token_type": "Bearer",
        "expires_in": token.expires_in,
        "scope": " ".join(grant.scopes),
    }
    if grant.patient:
        body["patient"] = grant.patient
    if grant.encounter:
        body["encounter"] = grant.encounter
    if grant.fhir_user and "fhirUser" in grant.scopes:
        body["fhirUser"] = f"{urls.issuer}/{grant.fhir_user}"
    body.update(request.extras)
    if request.refresh_expires is not None:
        body["refresh_token"] = await refresh_tokens.issue(conn, grant, request.refresh_expires)
    if wants_id_token(grant.scopes, grant.subject):
        fhir_user = f"{urls.issuer}/{grant.fhir_user}" if "fhirUser" in grant.scopes else None
        body["id_token"] = issue_id_token(
            server.key, grant, urls.issuer, fhir_user, request.nonce, ID_TOKEN_LIFETIME_S
        )
    return body
