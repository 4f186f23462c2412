"""Registered OAuth clients in PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from fhir_server.db.auth_tables import oauth_client
from resources.identity import now

PUBLIC = "public"
SYMMETRIC = "confidential-symmetric"
ASYMMETRIC = "confidential-asymmetric"
CLIENT_TYPES = (PUBLIC, SYMMETRIC, ASYMMETRIC)


@dataclass(frozen=True)
class Client:
    """A registered client."""

    client_id: str
    name: str
    client_type: str
    scopes: tuple[str, ...]
    redirect_uris: tuple[str, ...] = ()
    secret_hash: str | None = None
    jwks: dict[str, Any] | None = field(default=None, hash=False)
    jwks_uri: str | None = None

    @property
    def confidential(self) -> bool:
        """Whether the client authenticates (a secret or a key)."""
        return self.client_type != PUBLIC


def _client(row: Any) -> Client:
    return Client(
        client_id=row.client_id,
        name=row.name,
        client_type=row.client_type,
        scopes=tuple(row.scopes),
        redirect_uris=tuple(row.redirect_uris),
        secret_hash=row.secret_hash,
        jwks=row.jwks,
        jwks_uri=row.jwks_uri,
    )


async def get_client(conn: AsyncConnection, client_id: str) -> Client | None:
    """The client registered as ``client_id``, or None."""
    row = (
        await conn.execute(select(oauth_client).where(oauth_client.c.client_id == client_id))
    ).first()
    return None if row is None else _client(row)


async def list_clients(conn: AsyncConnection) -> list[Client]:
    """Every registered client, by id."""
    rows = await conn.execute(select(oauth_client).order_by(oauth_client.c.client_id))
    return [_client(row) for row in rows]


async def insert_client(conn: AsyncConnection, client: Client) -> None:
    """Register a client."""
    await conn.execute(
        insert(oauth_client).values(
            client_id=client.client_id,
            name=client.name,
            client_type=client.client_type,
            secret_hash=client.secret_hash,
            jwks=client.jwks,
            jwks_uri=client.jwks_uri,
            redirect_uris=list(client.redirect_uris),
            scopes=list(client.scopes),
            created_at=now(),
        )
    )


async def delete_client(conn: AsyncConnection, client_id: str) -> bool:
    """Remove a client; False when there was none."""
    result = await conn.execute(delete(oauth_client).where(oauth_client.c.client_id == client_id))
    return bool(result.rowcount)


def client_jwks(client: Client) -> dict[str, Any]:
    """The client's public keys: registered by value, or read from its local ``file:`` URI.

    The server makes no network requests at run time, so a ``jwks_uri`` must name a file.
    """
    if client.jwks is not None:
        return client.jwks
    if client.jwks_uri is None:
        return {"keys": []}
    parsed = urlparse(client.jwks_uri)
    path = Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(client.jwks_uri)
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"keys": []}
    return loaded if isinstance(loaded, dict) else {"keys": []}
