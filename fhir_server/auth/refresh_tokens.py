"""Refresh tokens: stored as SHA-256 digests, single use, rotated on every use.

A refresh token presented a second time means it leaked (or the client is confused): the
whole family (every token of its grant, access tokens included) is revoked, as the OAuth 2.0
Security BCP says (RFC 9700 section 4.14.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from fhir_server.auth import redis_state
from fhir_server.auth.redis_state import Redis
from fhir_server.db.auth_tables import oauth_refresh_token as table
from resources.identity import now
from smart_auth.credentials import digest, random_token
from smart_auth.oauth_errors import invalid_grant
from smart_auth.tokens import Grant


@dataclass(frozen=True)
class RefreshRecord:
    """A stored refresh token's grant and its state."""

    grant: Grant
    expires_at: datetime
    active: bool


def _record(row: Any) -> RefreshRecord:
    grant = Grant(
        client_id=row.client_id,
        scopes=tuple(row.scopes),
        grant_id=row.grant_id,
        subject=row.subject,
        fhir_user=row.fhir_user,
        patient=row.patient,
        encounter=row.encounter,
    )
    active = row.used_at is None and row.revoked_at is None and row.expires_at > now()
    return RefreshRecord(grant, row.expires_at, active)


async def issue(conn: AsyncConnection, grant: Grant, expires_at: datetime) -> str:
    """Store and return a new refresh token of ``grant``'s family."""
    value = random_token()
    await conn.execute(
        insert(table).values(
            token_hash=digest(value),
            grant_id=grant.grant_id,
            client_id=grant.client_id,
            scopes=list(grant.scopes),
            subject=grant.subject,
            fhir_user=grant.fhir_user,
            patient=grant.patient,
            encounter=grant.encounter,
            expires_at=expires_at,
            created_at=now(),
        )
    )
    return value


def expiry(grant: Grant, previous: datetime | None, offline_s: int, online_s: int) -> datetime:
    """When a new refresh token expires: offline tokens get a full lifetime on each rotation;
    online ones never outlive the sign-in that started the family."""
    if "offline_access" in grant.scopes:
        return now() + timedelta(seconds=offline_s)
    return previous or now() + timedelta(seconds=online_s)


async def lookup(conn: AsyncConnection, value: str) -> RefreshRecord | None:
    """The stored refresh token, or None."""
    row = (await conn.execute(select(table).where(table.c.token_hash == digest(value)))).first()
    return None if row is None else _record(row)


async def revoke_family(
    engine: AsyncEngine, redis: Redis, grant_id: str, access_ttl_s: int
) -> None:
    """Revoke every refresh and access token of one grant (committed at once)."""
    async with engine.begin() as conn:
        await conn.execute(
            update(table)
            .where(table.c.grant_id == grant_id, table.c.revoked_at.is_(None))
            .values(revoked_at=now())
        )
    await redis_state.revoke_grant(redis, grant_id, access_ttl_s)


async def use(
    engine: AsyncEngine, redis: Redis, value: str, client_id: str, access_ttl_s: int
) -> RefreshRecord:
    """Spend a refresh token; a second use revokes its family. Raises invalid_grant."""
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                update(table)
                .where(
                    table.c.token_hash == digest(value),
                    table.c.used_at.is_(None),
                    table.c.revoked_at.is_(None),
                )
                .values(used_at=now())
                .returning(*table.c)
            )
        ).first()
        stored = row if row is not None else None
        previous = None if row is not None else await lookup(conn, value)
    if stored is None:
        if previous is not None and previous.grant.client_id == client_id:
            await revoke_family(engine, redis, previous.grant.grant_id, access_ttl_s)
        raise invalid_grant("refresh token is invalid, used or revoked")
    record = _record(stored)
    if record.grant.client_id != client_id:
        raise invalid_grant("refresh token was issued to another client")
    if record.expires_at <= now():
        raise invalid_grant("refresh token expired")
    return record
