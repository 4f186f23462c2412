"""The authorization server's routes: discovery, JWKS, token, introspection, revocation,
EHR launch and the authorization endpoint's pages.

https://hl7.org/fhir/smart-app-launch/conformance.html
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fhir_server.auth.server import auth_server, endpoints
from fhir_server.http.authorize_routes import authorize, consent
from fhir_server.http.introspection_routes import introspect, revoke
from fhir_server.http.launch_routes import mint_launch
from fhir_server.http.login_routes import choose_patient, login, mfa
from fhir_server.http.token_routes import token
from smart_auth.discovery import openid_configuration, smart_configuration
from smart_auth.keys import public_jwks

Endpoint = Callable[[Request], Awaitable[Response]]
_CACHE = {"Cache-Control": "public, max-age=300"}


async def smart_config(request: Request) -> Response:
    """``GET /fhir/.well-known/smart-configuration``."""
    return JSONResponse(smart_configuration(endpoints(request)), headers=_CACHE)


async def openid_config(request: Request) -> Response:
    """``GET /.well-known/openid-configuration`` (also under ``/fhir``, the issuer)."""
    return JSONResponse(openid_configuration(endpoints(request)), headers=_CACHE)


async def jwks(request: Request) -> Response:
    """``GET /auth/jwks``: the public key that verifies our tokens."""
    return JSONResponse(public_jwks(auth_server(request).key), headers=_CACHE)


OAUTH_ROUTES: tuple[tuple[str, str, Endpoint], ...] = (
    ("GET", "/fhir/.well-known/smart-configuration", smart_config),
    ("GET", "/fhir/.well-known/openid-configuration", openid_config),
    ("GET", "/.well-known/smart-configuration", smart_config),
    ("GET", "/.well-known/openid-configuration", openid_config),
    ("GET", "/auth/jwks", jwks),
    ("POST", "/auth/token", token),
    ("POST", "/auth/introspect", introspect),
    ("POST", "/auth/revoke", revoke),
    ("POST", "/auth/launch", mint_launch),
    ("GET", "/auth/authorize", authorize),
    ("POST", "/auth/authorize", authorize),
    ("POST", "/auth/login", login),
    ("POST", "/auth/mfa", mfa),
    ("POST", "/auth/patient", choose_patient),
    ("POST", "/auth/consent", consent),
)
"""Placed before the REST routes: ``/fhir/.well-known/...`` would match ``/fhir/{type}/{id}``."""
