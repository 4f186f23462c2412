"""Access-token verification on the request path, cheap enough to run on every request.

Two process-local caches keep Redis and RSA off the hot path:
- verified tokens: a token's signature is checked once per process, its expiry every time;
- revocations: a copy of Redis's revocation set, refreshed at most ``SYNC_INTERVAL_S`` apart
  and at once after this process revoked something. Another process's revocation therefore
  takes effect here within ``SYNC_INTERVAL_S`` (an access token lives 15 minutes).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from joserfc.jwk import RSAKey

from fhir_server.auth import redis_state
from fhir_server.auth.redis_state import Redis
from smart_auth.tokens import LEEWAY_S, TokenRejected, decode_access_token

SYNC_INTERVAL_S = 1.0
MAX_CACHED = 10_000


class TokenVerifier:
    """Verifies access tokens signed by ``key`` for one server process."""

    def __init__(self, key: RSAKey) -> None:
        self.key = key
        self._verified: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._revoked: set[str] = set()
        self._synced_at = float("-inf")

    def claims(self, token: str) -> dict[str, Any]:
        """The claims of a valid, unexpired token; raises ``TokenRejected``."""
        cached = self._verified.get(token)
        if cached is None:
            cached = decode_access_token(self.key, token)
            self._verified[token] = cached
            if len(self._verified) > MAX_CACHED:
                self._verified.popitem(last=False)
        elif cached["exp"] + LEEWAY_S < time.time():
            del self._verified[token]
            raise TokenRejected("token expired", expired=True)
        return cached

    async def is_revoked(self, redis: Redis, claims: dict[str, Any]) -> bool:
        """Whether the token or its grant is revoked, from the local copy."""
        if time.monotonic() - self._synced_at > SYNC_INTERVAL_S:
            self._revoked = await redis_state.revoked_now(redis)
            self._synced_at = time.monotonic()
        members = redis_state.revocation_members(str(claims["jti"]), claims.get("grant_id"))
        return any(member in self._revoked for member in members)

    def invalidate(self) -> None:
        """Refresh the revocation copy on the next check (this process revoked something)."""
        self._synced_at = float("-inf")
