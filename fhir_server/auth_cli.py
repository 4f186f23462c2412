"""``nutrivision client``, ``user`` and ``token``: manage OAuth clients and accounts, and
print access tokens for scripts and benchmarks; ``serve --no-auth`` checks live here too."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlparse

import typer
from joserfc.jwk import ECKey
from sqlalchemy.ext.asyncio import AsyncConnection

from fhir_server.auth.clients import (
    ASYMMETRIC,
    CLIENT_TYPES,
    PUBLIC,
    SYMMETRIC,
    Client,
    delete_client,
    get_client,
    insert_client,
    list_clients,
)
from fhir_server.auth.server import load_auth_server, signing_key_path
from fhir_server.db import migrate
from fhir_server.db.engine import create_engine
from fhir_server.settings import Settings, SettingsError, load_settings
from smart_auth.credentials import digest, random_token
from smart_auth.grants import grantable
from smart_auth.oauth_errors import OAuthError
from smart_auth.tokens import Grant, issue_access_token

client_app = typer.Typer(
    help="OAuth clients (SMART apps and backend services)", no_args_is_help=True
)
token_app = typer.Typer(help="Print an access token", invoke_without_command=True)

ADMIN_CLIENT_ID = "nutrivision-admin"
ADMIN_SCOPES = ("system/*.*",)
DEFAULT_ISSUER = "http://127.0.0.1:8080/fhir"
T = TypeVar("T")


def disable_auth(settings: Settings, host: str) -> Settings:
    """Settings with auth off, refused unless ``host`` is a loopback address."""
    if not _loopback(host):
        typer.secho(
            f"--no-auth refuses to listen on {host}: use 127.0.0.1 or ::1", err=True, fg="red"
        )
        raise typer.Exit(2)
    banner = "WARNING: authorization is OFF: anyone on this machine can read and change all data"
    typer.secho(
        f"{'!' * len(banner)}\n{banner}\n{'!' * len(banner)}", err=True, fg="red", bold=True
    )
    os.environ["NUTRIVISION_AUTH_REQUIRED"] = "false"
    return settings.model_copy(update={"auth_required": False})


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prepare_signing_key(settings: Settings) -> None:
    """Create the signing key before workers start, so they all load the same one."""
    load_auth_server(settings)
    typer.echo(f"token signing key: {signing_key_path(settings)}", err=True)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


def run_db(settings: Settings, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on the configured (or embedded) database."""
    from fhir_server.cli import services

    async def _run(url: str) -> T:
        engine = create_engine(url, 2)
        try:
            async with engine.begin() as conn:
                return await work(conn)
        finally:
            await engine.dispose()

    with services(settings) as urls:
        migrate.upgrade(urls.database_url)
        return asyncio.run(_run(urls.database_url))


def _read_jwks(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise typer.BadParameter(f"{path} is not a JWK Set")
    return data


@client_app.command("create")
def client_create(
    name: Annotated[str, typer.Argument(help="Display name")],
    client_type: Annotated[str, typer.Option("--type", help=" | ".join(CLIENT_TYPES))] = "public",
    scope: Annotated[list[str], typer.Option(help="An allowed scope (repeat)")] = [],  # noqa: B006
    redirect_uri: Annotated[list[str], typer.Option(help="A redirect URI (repeat)")] = [],  # noqa: B006
    jwks: Annotated[Path | None, typer.Option(help="JWK Set file of an asymmetric client")] = None,
    jwks_uri: Annotated[str | None, typer.Option(help="file: URI of its JWK Set")] = None,
    client_id: Annotated[str | None, typer.Option(help="Client id (default: random)")] = None,
) -> None:
    """Register a client; a symmetric client's secret is printed once, never stored."""
    if client_type not in CLIENT_TYPES:
        raise typer.BadParameter(f"--type must be one of {', '.join(CLIENT_TYPES)}")
    if client_type == ASYMMETRIC and jwks is None and jwks_uri is None:
        raise typer.BadParameter("an asymmetric client needs --jwks or --jwks-uri")
    if client_type == PUBLIC and not redirect_uri:
        raise typer.BadParameter("a public client needs at least one --redirect-uri")
    if jwks_uri and urlparse(jwks_uri).scheme not in ("file", ""):
        # the server makes no network requests at run time: keys come from a local file
        raise typer.BadParameter("--jwks-uri must name a local file (file:///...)")
    secret = random_token() if client_type == SYMMETRIC else None
    client = Client(
        client_id=client_id or uuid.uuid4().hex,
        name=name,
        client_type=client_type,
        scopes=tuple(s for value in scope for s in value.split()),
        redirect_uris=tuple(redirect_uri),
        secret_hash=digest(secret) if secret else None,
        jwks=_read_jwks(jwks) if jwks else None,
        jwks_uri=jwks_uri,
    )
    run_db(settings_or_exit(), lambda conn: insert_client(conn, client))
    typer.echo(f"client_id: {client.client_id}")
    if secret:
        typer.echo(f"client_secret: {secret}")


@client_app.command("list")
def client_list() -> None:
    """List the registered clients."""
    for client in run_db(settings_or_exit(), list_clients):
        typer.echo(
            f"{client.client_id}\t{client.client_type}\t{client.name}\t"
            f"scopes={' '.join(client.scopes)}\tredirect={' '.join(client.redirect_uris)}"
        )


@client_app.command("delete")
def client_delete(client_id: Annotated[str, typer.Argument(help="Client id")]) -> None:
    """Remove a client (exit 1 if there was none)."""
    if not run_db(settings_or_exit(), lambda conn: delete_client(conn, client_id)):
        typer.echo(f"no client {client_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"deleted {client_id}")


def admin_client_file(settings: Settings) -> Path:
    """Where the local administrator client's id and private key are kept."""
    return settings.data_dir / "auth" / "admin-client.json"


async def _ensure_admin(conn: AsyncConnection, path: Path) -> Client:
    existing = await get_client(conn, ADMIN_CLIENT_ID)
    if existing is not None and path.exists():  # noqa: ASYNC240 - a CLI, nothing else waits
        return existing
    key = ECKey.generate_key("P-384", private=True)
    key.ensure_kid()
    if existing is not None:  # the key file was lost: replace the client's key
        await delete_client(conn, ADMIN_CLIENT_ID)
    client = Client(
        ADMIN_CLIENT_ID,
        "Local administrator",
        ASYMMETRIC,
        ADMIN_SCOPES,
        jwks={"keys": [key.as_dict(private=False)]},
    )
    await insert_client(conn, client)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(
            {"client_id": ADMIN_CLIENT_ID, "jwks": {"keys": [key.as_dict(private=True)]}}, out
        )
    return client


def mint_token(settings: Settings, client: Client, scopes: list[str], patient: str | None) -> str:
    """Sign an access token for ``client`` with the server's key (scopes narrowed to its own)."""
    granted = grantable(scopes or list(client.scopes), list(client.scopes))
    grant = Grant(client.client_id, granted, uuid.uuid4().hex, patient=patient)
    issuer = settings.auth_issuer or settings.base_url or DEFAULT_ISSUER
    server = load_auth_server(settings.model_copy(update={"auth_required": True}))
    lifetime = settings.access_token_lifetime_s
    return issue_access_token(server.key, grant, issuer, issuer, lifetime).value


@token_app.callback()
def token(
    client_id: Annotated[str | None, typer.Option("--client", help="Client id")] = None,
    scopes: Annotated[str, typer.Option(help="Space-separated scopes")] = "",
    patient: Annotated[str | None, typer.Option(help="Launch patient id")] = None,
) -> None:
    """Print an access token: by default for the local administrator client (system/*.*),
    created on first use with its key in the data directory."""
    settings = settings_or_exit()

    async def find(conn: AsyncConnection) -> Client | None:
        if client_id is None:
            return await _ensure_admin(conn, admin_client_file(settings))
        return await get_client(conn, client_id)

    client = run_db(settings, find)
    if client is None:
        typer.echo(f"no client {client_id}", err=True)
        raise typer.Exit(1)
    try:
        typer.echo(mint_token(settings, client, scopes.split(), patient))
    except OAuthError as error:
        typer.echo(error.description, err=True)
        raise typer.Exit(1) from None
