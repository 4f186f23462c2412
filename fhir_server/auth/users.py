"""User accounts that sign in at the authorization endpoint (patients and practitioners)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from fhir_server.db.auth_tables import auth_user
from resources.identity import now

ROLES = {"patient": "Patient", "practitioner": "Practitioner"}
"""Each role and the resource type its fhirUser must be."""


@dataclass(frozen=True)
class User:
    """An account, without its password hash."""

    user_id: str
    username: str
    role: str
    fhir_user: str
    locked: bool
    totp_secret: str | None = None


@dataclass(frozen=True)
class StoredUser:
    """An account with its password hash, for sign-in only."""

    user: User
    password_hash: str


def _user(row: Any) -> User:
    return User(row.user_id, row.username, row.role, row.fhir_user, row.locked, row.totp_secret)


async def create_user(
    conn: AsyncConnection, username: str, password_hash: str, role: str, fhir_user: str
) -> User:
    """Create an account (the caller hashed the password)."""
    user = User(uuid.uuid4().hex, username, role, fhir_user, False)
    await conn.execute(
        insert(auth_user).values(
            user_id=user.user_id,
            username=username,
            password_hash=password_hash,
            role=role,
            fhir_user=fhir_user,
            locked=False,
            created_at=now(),
        )
    )
    return user


async def find_for_login(conn: AsyncConnection, username: str) -> StoredUser | None:
    """The account and its password hash, by user name."""
    row = (await conn.execute(select(auth_user).where(auth_user.c.username == username))).first()
    return None if row is None else StoredUser(_user(row), row.password_hash)


async def get_user(conn: AsyncConnection, user_id: str) -> User | None:
    """The account with that id."""
    row = (await conn.execute(select(auth_user).where(auth_user.c.user_id == user_id))).first()
    return None if row is None else _user(row)


async def list_users(conn: AsyncConnection) -> list[User]:
    """Every account, by user name."""
    rows = await conn.execute(select(auth_user).order_by(auth_user.c.username))
    return [_user(row) for row in rows]


async def set_locked(conn: AsyncConnection, username: str, locked: bool) -> bool:
    """Lock or unlock an account; False when there is none."""
    result = await conn.execute(
        update(auth_user).where(auth_user.c.username == username).values(locked=locked)
    )
    return bool(result.rowcount)


async def set_totp_secret(
    conn: AsyncConnection,
    username: str,
    secret: str | None,
    recovery_digests: tuple[str, ...] = (),
) -> bool:
    """Enrol (or remove) TOTP and its recovery codes (their digests); False without account."""
    result = await conn.execute(
        update(auth_user)
        .where(auth_user.c.username == username)
        .values(totp_secret=secret, recovery_codes=list(recovery_digests))
    )
    return bool(result.rowcount)


async def spend_recovery_code(conn: AsyncConnection, user_id: str, code_digest: str) -> bool:
    """Remove one recovery code of the account; False when it has no such (unused) code."""
    result = await conn.execute(
        update(auth_user)
        .where(
            auth_user.c.user_id == user_id,
            auth_user.c.recovery_codes.any_() == code_digest,
        )
        .values(recovery_codes=func.array_remove(auth_user.c.recovery_codes, code_digest))
    )
    return bool(result.rowcount)
