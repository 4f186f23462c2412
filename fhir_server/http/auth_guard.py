"""The bearer guard: every FHIR request carries a verified access token, or gets 401.

It verifies the token (signature, type, expiry, revocation) and puts the grant on
``request.state.access`` (an ``AccessContext``), where the access policy finds it; discovery
documents and ``/metadata`` stay public. With auth off, ``request.state.access`` is None.
A plain ASGI middleware, so the check costs no extra task or body copy per request.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from fhir_server.auth.server import AuthServer, load_auth_server
from fhir_server.http.errors import fhir_error
from fhir_server.settings import Settings
from resources import error_codes
from resources.errors import Unauthorized
from smart_auth.context import AccessContext
from smart_auth.tokens import TokenRejected, access_context

PUBLIC_FHIR_PATHS = frozenset(
    {
        "/fhir/metadata",
        "/fhir/.well-known/smart-configuration",
        "/fhir/.well-known/openid-configuration",
    }
)
REALM = 'Bearer realm="nutrivision"'
EXPOSED_HEADERS = ("Location", "Content-Location", "ETag", "Last-Modified", "WWW-Authenticate")


def guarded(path: str) -> bool:
    """Whether a path needs a bearer token (the FHIR API but its public documents)."""
    return (path == "/fhir" or path.startswith("/fhir/")) and path not in PUBLIC_FHIR_PATHS


def _unauthorized(message: str, nv_code: str, invalid: bool = True) -> Unauthorized:
    challenge = REALM
    if invalid:
        challenge += f', error="invalid_token", error_description="{message}"'
    return Unauthorized(message, nv_code, headers={"WWW-Authenticate": challenge})


def _bearer(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"authorization":
            text: str = value.decode("latin-1")
            if text[:7].lower() == "bearer " and text[7:].strip():
                return text[7:].strip()
            raise _unauthorized(
                "The Authorization header is not a Bearer token", error_codes.TOKEN_INVALID
            )
    raise _unauthorized("A bearer access token is required", error_codes.TOKEN_MISSING, False)


async def verify_request(scope: Scope, server: AuthServer) -> AccessContext:
    """The AccessContext of the request's bearer token; raises ``Unauthorized``."""
    try:
        claims = server.verifier.claims(_bearer(scope))
    except TokenRejected as rejected:
        if rejected.expired:
            raise _unauthorized("The access token has expired", error_codes.TOKEN_EXPIRED) from None
        raise _unauthorized("The access token is not valid", error_codes.TOKEN_INVALID) from None
    if await server.verifier.is_revoked(scope["app"].state.redis, claims):
        raise _unauthorized("The access token was revoked", error_codes.TOKEN_REVOKED)
    return access_context(claims)


class BearerGuard:
    """ASGI middleware putting ``state["access"]`` on guarded requests, or answering 401."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["access"] = None
        server: AuthServer = scope["app"].state.auth
        if (
            server.settings.auth_required
            and scope["method"] != "OPTIONS"
            and guarded(scope["path"])
        ):
            try:
                state["access"] = await verify_request(scope, server)
            except Unauthorized as error:
                response = await fhir_error(Request(scope, receive), error)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install_auth(app: FastAPI, settings: Settings) -> None:
    """The signing key on ``app.state.auth``, the bearer guard, and CORS for browser apps."""
    app.state.auth = load_auth_server(settings)
    app.add_middleware(BearerGuard)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=list(EXPOSED_HEADERS),
        max_age=600,
    )
