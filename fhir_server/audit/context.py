"""The request being audited, for code deeper in the call (the write hook, break-glass)."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from starlette.types import Scope

from fhir_server.audit.events import Actor
from smart_auth.context import AccessContext


def actor_of(scope: Scope) -> Actor:
    """Who made the request: the verified token's grant (once the bearer guard has run) and
    the TCP peer's address."""
    access: AccessContext | None = scope.get("state", {}).get("access")
    client = scope.get("client")
    address = client[0] if client else None
    if access is None:
        return Actor(address=address)
    return Actor(access.client_id, access.subject, access.fhir_user, address, access.token_id)


@dataclass
class RequestAudit:
    """The request's scope, and whether deeper code has already recorded the request."""

    scope: Scope
    recorded: bool = False

    @property
    def actor(self) -> Actor:
        """Who is calling (read when needed: the guard runs inside the audit middleware)."""
        return actor_of(self.scope)


current: ContextVar[RequestAudit | None] = ContextVar("nutrivision_audit", default=None)
