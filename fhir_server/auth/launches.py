"""EHR launch contexts: an opaque ``launch`` value bound to a patient (and an encounter).

https://hl7.org/fhir/smart-app-launch/app-launch.html#launch-app-ehr-launch
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from fhir_server.auth import redis_state
from fhir_server.auth.redis_state import Redis
from fhir_server.db.schema import resource, resource_version
from resources.crypto.protection import open_body
from smart_auth.credentials import random_token

LAUNCH_KIND = "launch"
LAUNCH_TTL_S = 3600


async def exists(conn: AsyncConnection, resource_type: str, resource_id: str) -> bool:
    """Whether a current, not deleted resource of that type and id is stored."""
    found = await conn.execute(
        select(resource.c.id).where(
            resource.c.resource_type == resource_type,
            resource.c.id == resource_id,
            resource.c.deleted.is_(False),
        )
    )
    return found.first() is not None


async def mint(redis: Redis, patient: str, encounter: str | None) -> str:
    """A new launch value for the patient (and encounter), valid for an hour."""
    value = random_token(24)
    context = {"patient": patient, "encounter": encounter}
    await redis_state.put_json(redis, LAUNCH_KIND, value, context, LAUNCH_TTL_S)
    return value


async def resolve(redis: Redis, value: str) -> dict[str, Any] | None:
    """The launch context of a launch value, or None when unknown or expired."""
    context = await redis_state.get_json(redis, LAUNCH_KIND, value)
    return context if isinstance(context, dict) else None


def _display_name(body: bytes | None) -> str:
    try:
        patient = json.loads(body or b"{}")
        name = (patient.get("name") or [{}])[0]
        parts = [*name.get("given", []), name.get("family", "")]
        return " ".join(p for p in parts if p) or name.get("text") or "(no name)"
    except (ValueError, AttributeError, IndexError, TypeError):
        return "(no name)"


async def list_patients(conn: AsyncConnection, limit: int = 50) -> list[tuple[str, str]]:
    """Up to ``limit`` current patients as (id, display name), for the patient picker."""
    rows = await conn.execute(
        select(resource.c.id, resource_version.c.version_id, resource_version.c.body)
        .join(
            resource_version,
            (resource_version.c.resource_type == resource.c.resource_type)
            & (resource_version.c.id == resource.c.id)
            & (resource_version.c.version_id == resource.c.version_id),
        )
        .where(resource.c.resource_type == "Patient", resource.c.deleted.is_(False))
        .order_by(resource.c.last_updated.desc())
        .limit(limit)
    )
    return [
        (row.id, _display_name(open_body("Patient", row.id, row.version_id, row.body)))
        for row in rows
    ]
