"""Sign-in throttling: after 5 failed sign-ins in 15 minutes, an account (and, separately, a
client IP address) is refused until the window passes. Counted in Redis, so every worker and
every server of one database agrees."""

from __future__ import annotations

from fhir_server.auth.redis_state import PREFIX, Redis

MAX_FAILURES = 5
WINDOW_S = 15 * 60


def _keys(username: str, ip: str) -> tuple[str, str]:
    return f"{PREFIX}fail-user:{username.lower()}", f"{PREFIX}fail-ip:{ip}"


async def is_locked_out(
    redis: Redis, username: str, ip: str, ip_max_failures: int = MAX_FAILURES
) -> bool:
    """Whether the account or the address has used up its failures in the window."""
    user_count, ip_count = await redis.mget(list(_keys(username, ip)))
    return int(user_count or 0) >= MAX_FAILURES or int(ip_count or 0) >= ip_max_failures


async def record_failure(redis: Redis, username: str, ip: str) -> None:
    """Count a failed sign-in; the window starts at the first failure."""
    for key in _keys(username, ip):
        async with redis.pipeline(transaction=True) as pipe:
            # SET NX starts the window; INCR keeps the expiry (EXPIRE NX needs Redis 7)
            pipe.set(key, 0, ex=WINDOW_S, nx=True)
            pipe.incr(key)
            await pipe.execute()


async def record_success(redis: Redis, username: str) -> None:
    """A successful sign-in clears the account's count (not the address's)."""
    await redis.delete(_keys(username, "-")[0])
