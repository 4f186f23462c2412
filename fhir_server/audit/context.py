"""The request being audited, for code deeper in the call (the write hook, break-glass)."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from fhir_server.audit.events import Actor


@dataclass
class RequestAudit:
    """Who is calling, and whether deeper code has already recorded this request."""

    actor: Actor
    recorded: bool = False
    references: list[str] = field(default_factory=list)


current: ContextVar[RequestAudit | None] = ContextVar("nutrivision_audit", default=None)
