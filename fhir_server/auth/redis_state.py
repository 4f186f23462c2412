"""Short-lived authorization state in Redis, each key expiring with what it records.

- ``jti`` replay cache for client assertions (kept until the assertion expires);
- revoked access tokens (by ``jti``) and revoked grants (every token of one authorization),
  kept for the access-token lifetime, after which the tokens have expired anyway;
- authorization codes, EHR launch contexts and sign-in transactions, as JSON.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, TypeAlias

import redis.asyncio as aioredis

if TYPE_CHECKING:
    Redis: TypeAlias = aioredis.Redis[bytes]
    """The async client as the app creates it (replies are bytes)."""
else:
    Redis = aioredis.Redis

PREFIX = "nv:auth:"


def _key(kind: str, name: str) -> str:
    return f"{PREFIX}{kind}:{name}"


async def claim_jti(redis: Redis, client_id: str, jti: str, exp: int) -> bool:
    """Record a client assertion's ``jti``; False when it was seen before (a replay)."""
    ttl = max(1, exp - int(time.time()) + 120)
    return bool(await redis.set(_key("jti", f"{client_id}:{jti}"), b"1", nx=True, ex=ttl))


async def revoke_token(redis: Redis, jti: str, ttl_s: int) -> None:
    """Mark one access token revoked."""
    await redis.set(_key("revoked-jti", jti), b"1", ex=max(1, ttl_s))


async def revoke_grant(redis: Redis, grant_id: str, ttl_s: int) -> None:
    """Mark every access token of a grant revoked."""
    await redis.set(_key("revoked-grant", grant_id), b"1", ex=max(1, ttl_s))


async def is_revoked(redis: Redis, jti: str, grant_id: str | None) -> bool:
    """Whether the token or its grant was revoked (one round trip)."""
    keys = [_key("revoked-jti", jti), _key("revoked-grant", grant_id or "-")]
    return any(value is not None for value in await redis.mget(keys))


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
