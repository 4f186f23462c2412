"""What every operation module works with: its context, its parameters and its result.

https://hl7.org/fhir/R4/operations.html

An operation module exports ``DEFINITION`` (an OperationDefinition as JSON) and
``async def handle(ctx: OperationContext, params: Parameters) -> OperationResult``; it may
export ``RAW_MEDIA_TYPES``, the request media types it reads itself from ``ctx.body`` (a
multipart upload, an HL7 v2 message) instead of a Parameters resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from resources.ports import ResourceStore
from smart_auth.context import AccessContext


@dataclass(frozen=True)
class OperationContext:
    """Where an operation was invoked and what it may use.

    ``store`` is the caller's view of the data: every read and write goes through it, so an
    operation cannot see what the caller's authorization does not grant.
    """

    store: ResourceStore
    base_url: str
    method: str
    resource_type: str | None = None
    id: str | None = None
    body: bytes = b""
    content_type: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    services: Mapping[str, Any] = field(default_factory=dict)
    """Per-process services the composition root offers by name (a job queue, a clock)."""
    access: AccessContext | None = None
    """The caller's verified grant (None when auth is off): for work that outlives the
    request, such as a bulk job, which must act with the same grant later."""

    def instance(self) -> tuple[str, str]:
        """The type and id of an instance-level invocation (the router guarantees both for
        operations declared at instance level only)."""
        if self.resource_type is None or self.id is None:
            raise ValueError("not an instance-level invocation")
        return self.resource_type, self.id


@dataclass(frozen=True)
class OperationResult:
    """What an operation answers: a FHIR resource (JSON), or bytes of ``media_type``."""

    body: dict[str, Any] | bytes | None
    status: int = 200
    media_type: str | None = None
    """None for a FHIR resource in the negotiated JSON media type."""
    headers: Mapping[str, str] = field(default_factory=dict)


def parameters_resource(parameters: list[dict[str, Any]]) -> dict[str, Any]:
    """A ``Parameters`` resource from its ``parameter`` entries (none is allowed)."""
    resource: dict[str, Any] = {"resourceType": "Parameters"}
    if parameters:
        resource["parameter"] = parameters
    return resource
