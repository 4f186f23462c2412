"""Fixtures and helpers for tests that need authorization on.

The shared ``base_url`` server runs with auth off. These give a second server on the same
database with auth on, and ways to get tokens for it:

- ``auth_base_url``: FHIR base URL of the server with auth on;
- ``auth_settings``: its settings (signing key in a temporary data directory);
- ``mint_token(scopes, patient=..., fhir_user=..., subject=...)``: an access token signed with
  that server's key, as the token endpoint would issue it (no HTTP round trip);
- ``backend_client(scopes)``: registers a ``private_key_jwt`` client; its ``.token()`` runs the
  SMART Backend Services flow over HTTP.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey, RSAKey
from pydantic import SecretStr

from fhir_server.auth.clients import ASYMMETRIC, PUBLIC, SYMMETRIC, Client, insert_client
from fhir_server.auth.server import load_auth_server
from fhir_server.auth.users import create_user, set_totp_secret
from fhir_server.db.engine import create_engine
from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from smart_auth.client_assertion import ASSERTION_TYPE, sign_client_assertion
from smart_auth.credentials import digest, hash_password
from smart_auth.tokens import Grant, issue_access_token
from tests.servers import running_server

TokenMinter = Callable[..., str]
TEST_PASSWORD = "Corr3ct-horse!"
TEST_IP_MAX_FAILURES = 10_000
"""Every test signs in from 127.0.0.1: the per-address lockout is tested on its own."""
SMART_STYLE_URL = "https://portal.example.org/smart-style.json"


def register_client(database_url: str, client: Client) -> Client:
    """Store a client in the database (as ``nutrivision client create`` does)."""

    async def insert() -> None:
        engine = create_engine(database_url, 1)
        try:
            async with engine.begin() as conn:
                await insert_client(conn, client)
        finally:
            await engine.dispose()

    asyncio.run(insert())
    return client


def create_account(
    database_url: str,
    role: str,
    fhir_user: str,
    password: str = TEST_PASSWORD,
    totp_secret: str | None = None,
) -> str:
    """Create a user account (as ``nutrivision user create`` does); its user name."""
    username = f"{role}-{uuid.uuid4().hex[:8]}"

    async def insert() -> None:
        engine = create_engine(database_url, 1)
        try:
            async with engine.begin() as conn:
                await create_user(conn, username, hash_password(password), role, fhir_user)
                if totp_secret:
                    await set_totp_secret(conn, username, totp_secret)
        finally:
            await engine.dispose()

    asyncio.run(insert())
    return username


def private_jwks(alg: str) -> dict[str, Any]:
    """A new private key for ``ES384`` (P-384) or ``RS384`` (RSA 2048), as a JWK Set."""
    key = (
        ECKey.generate_key("P-384", private=True)
        if alg == "ES384"
        else RSAKey.generate_key(2048, private=True)
    )
    key.ensure_kid()
    return {"keys": [key.as_dict(private=True)]}


def public_jwks(private: dict[str, Any]) -> dict[str, Any]:
    """The public half of a private JWK Set."""
    public_members = {"kty", "crv", "x", "y", "n", "e", "kid"}
    return {
        "keys": [{k: v for k, v in key.items() if k in public_members} for key in private["keys"]]
    }


def token_endpoint(fhir_base: str) -> str:
    """The token endpoint beside a FHIR base."""
    return fhir_base.removesuffix("/fhir") + "/auth/token"


@dataclass
class BackendClient:
    """A registered ``private_key_jwt`` client and its private key."""

    client_id: str
    jwks: dict[str, Any]
    alg: str
    fhir_base: str

    def assertion(self, audience: str | None = None, jti: str | None = None) -> str:
        """A signed client assertion (fresh ``jti`` unless one is given)."""
        return sign_client_assertion(
            self.jwks,
            self.client_id,
            audience or token_endpoint(self.fhir_base),
            self.alg,
            jti or uuid.uuid4().hex,
        )

    def token_form(self, scope: str, **overrides: str) -> dict[str, str]:
        """The client_credentials form, with any field replaced."""
        form = {
            "grant_type": "client_credentials",
            "scope": scope,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(),
        }
        return {**form, **overrides}

    def token(self, scope: str) -> str:
        """An access token from the token endpoint."""
        response = httpx.post(token_endpoint(self.fhir_base), data=self.token_form(scope))
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


@pytest.fixture(scope="session")
def auth_settings(master_key: SecretStr) -> Iterator[Settings]:
    """Settings of the auth-on server: its signing key in a temporary data directory."""
    with tempfile.TemporaryDirectory(prefix="nutrivision-auth-") as data_dir:
        yield Settings(
            data_dir=Path(data_dir),
            auth_required=True,
            master_key=master_key,
            max_body_bytes=256 * 1024,
            smart_style_url=SMART_STYLE_URL,
            login_ip_max_failures=TEST_IP_MAX_FAILURES,
        )


@pytest.fixture(scope="session")
def auth_base_url(services: ServiceUrls, auth_settings: Settings) -> Iterator[str]:
    """FHIR base URL of a server with auth on (same database as ``base_url``)."""
    with running_server(services, auth_settings) as url:
        yield url


@pytest.fixture(scope="session")
def mint_token(auth_settings: Settings, auth_base_url: str) -> TokenMinter:
    """``mint_token("patient/*.rs", patient="123")``: a token the auth-on server accepts."""
    key = load_auth_server(auth_settings).key

    def mint(
        scopes: str,
        client_id: str = "test-client",
        patient: str | None = None,
        fhir_user: str | None = None,
        subject: str | None = None,
        encounter: str | None = None,
        lifetime_s: int = 900,
    ) -> str:
        grant = Grant(
            client_id,
            tuple(scopes.split()),
            uuid.uuid4().hex,
            subject,
            fhir_user,
            patient,
            encounter,
        )
        return issue_access_token(key, grant, auth_base_url, auth_base_url, lifetime_s).value

    return mint


@pytest.fixture
def backend_client(services: ServiceUrls, auth_base_url: str) -> Callable[..., BackendClient]:
    """``backend_client("system/*.rs", alg="RS384")``: a registered private_key_jwt client."""

    def make(scopes: str = "system/*.*", alg: str = "ES384") -> BackendClient:
        jwks = private_jwks(alg)
        client_id = f"backend-{uuid.uuid4().hex[:8]}"
        client = Client(
            client_id, "Backend test", ASYMMETRIC, tuple(scopes.split()), jwks=public_jwks(jwks)
        )
        register_client(services.database_url, client)
        return BackendClient(client_id, jwks, alg, auth_base_url)

    return make


@pytest.fixture
def public_client(services: ServiceUrls) -> Callable[..., str]:
    """``public_client("patient/*.rs openid", redirect_uri)``: a public client's id."""

    def make(scopes: str, redirect_uri: str = "https://app.example.org/cb") -> str:
        client_id = f"public-{uuid.uuid4().hex[:8]}"
        client = Client(client_id, "Public app", PUBLIC, tuple(scopes.split()), (redirect_uri,))
        register_client(services.database_url, client)
        return client_id

    return make


@pytest.fixture
def secret_client(services: ServiceUrls) -> Callable[..., tuple[str, str]]:
    """``secret_client("system/*.rs")``: a confidential-symmetric client's (id, secret)."""

    def make(scopes: str = "system/*.*", redirect_uris: tuple[str, ...] = ()) -> tuple[str, str]:
        client_id, secret = f"secret-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex + uuid.uuid4().hex
        client = Client(
            client_id,
            "Secret test",
            SYMMETRIC,
            tuple(scopes.split()),
            redirect_uris,
            digest(secret),
        )
        register_client(services.database_url, client)
        return client_id, secret

    return make
