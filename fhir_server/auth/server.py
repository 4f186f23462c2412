"""The authorization server's per-app state: settings and signing key, and its URLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from joserfc.jwk import RSAKey
from starlette.requests import Request

from fhir_server.auth.verifier import TokenVerifier
from fhir_server.http.responses import base_url
from fhir_server.settings import Settings
from smart_auth.discovery import Endpoints
from smart_auth.keys import generate_signing_key, load_or_create_signing_key


@dataclass(frozen=True)
class AuthServer:
    """What the OAuth endpoints and the bearer guard share."""

    settings: Settings
    key: RSAKey
    verifier: TokenVerifier = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "verifier", TokenVerifier(self.key))


def signing_key_path(settings: Settings) -> Path:
    """Where the signing key lives: configured, or ``<data_dir>/auth/signing-key.jwk``."""
    return settings.signing_key_file or settings.data_dir / "auth" / "signing-key.jwk"


def load_auth_server(settings: Settings) -> AuthServer:
    """The key from its file (created on first start); with auth off and no file yet, a key
    that lives only in memory, so a server without auth writes nothing to disk."""
    path = signing_key_path(settings)
    if settings.auth_required or path.exists():
        return AuthServer(settings, load_or_create_signing_key(path))
    return AuthServer(settings, generate_signing_key())


def auth_server(request: Request) -> AuthServer:
    """The app's AuthServer."""
    server: AuthServer = request.app.state.auth
    return server


def fhir_base(request: Request) -> str:
    """The FHIR base URL: the configured issuer, else as the server is reached."""
    configured = auth_server(request).settings.auth_issuer
    return configured.rstrip("/") if configured else base_url(request)


def endpoints(request: Request) -> Endpoints:
    """The absolute URLs of the OAuth endpoints (``/auth/...`` beside ``/fhir``)."""
    base = fhir_base(request)
    root = base.removesuffix("/fhir")
    return Endpoints.at(base, f"{root}/auth")
