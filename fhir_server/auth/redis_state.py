"""Short-lived authorization state in Redis, each key expiring with what it records.

- ``jti`` replay cache for client assertions (kept until the assertion expires);
- revoked access tokens (by ``jti``) and revoked grants (every token of one authorization),
  one sorted set scored by when the tokens they name expire anyway;
- authorization codes, EHR launch contexts and sign-in transactions, as JSON.
"""

from __future__ import annotations

import json
import time
from typing import Any, TypeAlias

import redis.asyncio as aioredis

Redis: TypeAlias = aioredis.Redis
"""The async client as the app creates it (replies are bytes)."""

PREFIX = "nv:auth:"


def _key(kind: str, name: str) -> str:
    return f"{PREFIX}{kind}:{name}"


async def claim_jti(redis: Redis, client_id: str, jti: str, exp: int) -> bool:
    """Record a client assertion's ``jti``; False when it was seen before (a replay)."""
    ttl = max(1, exp - int(time.time()) + 120)
    return bool(await redis.set(_key("jti", f"{client_id}:{jti}"), b"1", nx=True, ex=ttl))


REVOKED = f"{PREFIX}revoked"
"""A sorted set of revoked ``jti:<id>`` and ``grant:<id>`` members, scored by the time after
which every token they name has expired anyway."""


async def _revoke(redis: Redis, member: str, ttl_s: int) -> None:
    now = time.time()
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zadd(REVOKED, {member: now + max(1, ttl_s)})
        pipe.zremrangebyscore(REVOKED, "-inf", now)
        await pipe.execute()


async def revoke_token(redis: Redis, jti: str, ttl_s: int) -> None:
    """Mark one access token revoked."""
    await _revoke(redis, f"jti:{jti}", ttl_s)


async def revoke_grant(redis: Redis, grant_id: str, ttl_s: int) -> None:
    """Mark every access token of a grant revoked."""
    await _revoke(redis, f"grant:{grant_id}", ttl_s)


def revocation_members(jti: str, grant_id: str | None) -> tuple[str, str]:
    """The members that would name this token as revoked."""
    return f"jti:{jti}", f"grant:{grant_id or '-'}"


async def is_revoked(redis: Redis, jti: str, grant_id: str | None) -> bool:
    """Whether the token or its grant was revoked (asked of Redis now)."""
    members = list(revocation_members(jti, grant_id))
    scores = await redis.zmscore(REVOKED, members)
    now = time.time()
    return any(score is not None and score > now for score in scores)


async def revoked_now(redis: Redis) -> set[str]:
    """Every member still in force, for a process-local copy."""
    members = await redis.zrangebyscore(REVOKED, time.time(), "+inf")
    return {m.decode() if isinstance(m, bytes) else str(m) for m in members}


async def put_json(redis: Redis, kind: str, name: str, value: Any, ttl_s: int) -> None:
    """Store a JSON value under ``kind:name`` for ``ttl_s`` seconds."""
    await redis.set(_key(kind, name), json.dumps(value), ex=ttl_s)


async def get_json(redis: Redis, kind: str, name: str) -> Any:
    """The JSON value under ``kind:name``, or None."""
    raw = await redis.get(_key(kind, name))
    return None if raw is None else json.loads(raw)


async def delete(redis: Redis, kind: str, name: str) -> None:
    """Forget ``kind:name``."""
    await redis.delete(_key(kind, name))


async def first_use(redis: Redis, kind: str, name: str, ttl_s: int) -> bool:
    """True the first time ``kind:name`` is used, False on every later call."""
    return bool(await redis.set(_key(f"{kind}-used", name), b"1", nx=True, ex=ttl_s))
