"""Password reset by e-mailed link: a random token whose digest is kept in Redis for a short
time, spent once; the mail goes to the e-mail address of the account's fhirUser resource
(``Patient.telecom`` / ``Practitioner.telecom`` with ``system`` ``email``).

The token itself is never stored or logged, only its SHA-256 digest.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from fhir_server.auth import lockout, redis_state
from fhir_server.auth.redis_state import Redis
from fhir_server.db.auth_tables import auth_user
from fhir_server.db.schema import resource, resource_version
from resources.crypto.protection import open_body
from smart_auth.credentials import digest, random_token

RESET_KIND = "password-reset"


def _email_of(body: bytes | str | None) -> str | None:
    try:
        telecoms = json.loads(body or b"{}").get("telecom") or []
        emails = [t.get("value") for t in telecoms if t.get("system") == "email"]
    except (ValueError, AttributeError, TypeError):
        return None
    return next((str(e) for e in emails if isinstance(e, str) and "@" in e), None)


async def contact_email(conn: AsyncConnection, fhir_user: str) -> str | None:
    """The first e-mail address of the account's current fhirUser resource, if any."""
    resource_type, _, resource_id = fhir_user.partition("/")
    row = (
        await conn.execute(
            select(resource_version.c.version_id, resource_version.c.body)
            .join(
                resource,
                (resource_version.c.resource_type == resource.c.resource_type)
                & (resource_version.c.id == resource.c.id)
                & (resource_version.c.version_id == resource.c.version_id),
            )
            .where(
                resource.c.resource_type == resource_type,
                resource.c.id == resource_id,
                resource.c.deleted.is_(False),
            )
        )
    ).first()
    if row is None:
        return None
    return _email_of(open_body(resource_type, resource_id, row.version_id, row.body))


async def issue(redis: Redis, user_id: str, username: str, lifetime_s: int) -> str:
    """A new reset token for the account, valid once for ``lifetime_s`` seconds."""
    token = random_token()
    record = {"user_id": user_id, "username": username}
    await redis_state.put_json(redis, RESET_KIND, digest(token), record, lifetime_s)
    return token


async def pending(redis: Redis, token: str) -> dict[str, Any] | None:
    """The account a token resets, or None when it is unknown, used or expired."""
    record = await redis_state.get_json(redis, RESET_KIND, digest(token)) if token else None
    return record if isinstance(record, dict) else None


async def spend(redis: Redis, token: str) -> dict[str, Any] | None:
    """Use the token up: its account the first time, None afterwards (and when unknown)."""
    record = await pending(redis, token)
    if record is None:
        return None
    name = digest(token)
    first = await redis_state.first_use(redis, RESET_KIND, name, 24 * 3600)
    await redis_state.delete(redis, RESET_KIND, name)
    return record if first else None


async def set_password(
    conn: AsyncConnection, redis: Redis, record: dict[str, Any], password_hash: str
) -> None:
    """Store the new password's hash and clear the account's failed sign-ins."""
    await conn.execute(
        update(auth_user)
        .where(auth_user.c.user_id == record["user_id"])
        .values(password_hash=password_hash)
    )
    await lockout.record_success(redis, record["username"])
