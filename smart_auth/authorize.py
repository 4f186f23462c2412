"""Checking an authorization request (SMART App Launch 2.2, RFC 6749 section 4.1.1).

https://hl7.org/fhir/smart-app-launch/app-launch.html#obtain-authorization-code
Two kinds of failure: with an unknown client or an unregistered redirect URI the server must
not redirect (``UserFacingError``, shown as a page); any other problem is sent back to the
client's redirect URI as ``error=...`` (``RedirectError``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from smart_auth import pkce
from smart_auth.grants import context_of, grantable
from smart_auth.oauth_errors import OAuthError


class UserFacingError(Exception):
    """A request that cannot be sent back to the client: shown to the user instead."""


@dataclass
class RedirectError(Exception):
    """An error reported to the client at its redirect URI."""

    redirect_uri: str
    error: str
    description: str
    state: str | None


@dataclass(frozen=True)
class RegisteredClient:
    """What the authorization endpoint needs to know of a client."""

    client_id: str
    public: bool
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked authorization request."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    nonce: str | None
    launch: str | None


def _redirect_uri(params: Mapping[str, str], client: RegisteredClient) -> str:
    uri = params.get("redirect_uri")  # required by SMART, so never defaulted
    if uri is None or uri not in client.redirect_uris:  # exact string match, no prefixes
        raise UserFacingError("The redirect_uri is not registered for this application.")
    return uri


def _same_base(aud: str, fhir_base: str) -> bool:
    return aud.rstrip("/") == fhir_base.rstrip("/")


def _checked_pkce(params: Mapping[str, str], client: RegisteredClient) -> str | None:
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if challenge is None:
        if client.public:
            raise ValueError("PKCE (code_challenge with S256) is required for public clients")
        return None
    if method != "S256":
        raise ValueError("code_challenge_method must be S256")
    if not pkce.valid_challenge(challenge):
        raise ValueError("code_challenge is not an S256 challenge")
    return challenge


def check_request(
    params: Mapping[str, str], client: RegisteredClient, fhir_base: str
) -> AuthorizationRequest:
    """The checked request; raises ``UserFacingError`` or ``RedirectError``."""
    redirect_uri = _redirect_uri(params, client)
    state = params.get("state")

    def fail(error: str, description: str) -> RedirectError:
        return RedirectError(redirect_uri, error, description, state)

    if params.get("response_type") != "code":
        raise fail("unsupported_response_type", "response_type must be code")
    if not _same_base(params.get("aud", ""), fhir_base):
        raise fail("invalid_request", f"aud must be this server's FHIR base {fhir_base}")
    try:
        challenge = _checked_pkce(params, client)
    except ValueError as error:
        raise fail("invalid_request", str(error)) from None
    try:
        scopes = grantable(params.get("scope", "").split(), list(client.scopes))
    except OAuthError as error:
        raise fail(error.error, error.description) from None
    if any(context_of(scope) == "system" for scope in scopes):
        raise fail("invalid_scope", "system scopes are for backend services (client_credentials)")
    if "launch" in scopes and not params.get("launch"):
        raise fail("invalid_request", "scope launch needs the launch parameter")
    return AuthorizationRequest(
        client.client_id,
        redirect_uri,
        scopes,
        state,
        challenge,
        params.get("nonce"),
        params.get("launch"),
    )
