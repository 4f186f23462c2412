"""Storing a recognised intake (``persist=true``): completed, validated like any write."""

from __future__ import annotations

from typing import Any

from profiles_ig.write_policy import current_policy
from resources import fhir_json
from resources.ports import ResourceStore


async def persist(store: ResourceStore, intake: dict[str, Any]) -> dict[str, Any]:
    """Store ``intake`` as ``completed`` through the caller's store; the stored version."""
    completed = {**intake, "status": "completed"}
    # The same validation a PUT or POST of the resource gets: the intake claims our profile.
    current_policy().check("NutritionIntake", completed)
    result = await store.create("NutritionIntake", completed, None)
    body = result.stored.body
    stored: dict[str, Any] = fhir_json.loads(body) if body is not None else completed
    return stored
