"""Our implementation guide as the server publishes it: its conformance resources by type and
id (the guide's own, and an OperationDefinition for each operation in ``REGISTRY``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from operations import REGISTRY
from profiles_ig.definitions import default_definitions
from resources import fhir_json
from resources.ports import Mutation, ResourceStore
from resources.stored import StoredVersion

PUBLISHED_TYPES = frozenset(
    {
        "ImplementationGuide",
        "StructureDefinition",
        "ValueSet",
        "CodeSystem",
        "SearchParameter",
        "CapabilityStatement",
        "OperationDefinition",
    }
)
"""The conformance resource types served read-only from the guide."""


def published(resource_type: str, id_: str) -> dict[str, Any] | None:
    """One published conformance resource, None when the guide has no such resource."""
    if resource_type == "OperationDefinition":
        for module in REGISTRY:
            if module.DEFINITION.get("id") == id_:
                return dict(module.DEFINITION)
        return None
    return default_definitions().guide_resource(resource_type, id_)


def supported_profiles(resource_type: str) -> list[str]:
    """Our profiles of ``resource_type``, from the guide's CapabilityStatement fragment."""
    fragment = default_definitions().guide_resource("CapabilityStatement", "nutrivision-server")
    for rest in (fragment or {}).get("rest", []):
        for entry in rest.get("resource", []):
            if entry["type"] == resource_type:
                return list(entry.get("supportedProfile", []))
    return []


def all_published() -> Iterator[dict[str, Any]]:
    """Every published resource: the guide's and the operations' definitions."""
    yield from default_definitions().guide
    for module in REGISTRY:
        if "id" in module.DEFINITION:
            yield dict(module.DEFINITION)


def _unchanged(stored: StoredVersion | None, resource: dict[str, Any]) -> bool:
    if stored is None or stored.deleted or stored.body is None:
        return False
    current = {k: v for k, v in fhir_json.loads(stored.body).items() if k != "meta"}
    return bool(current == resource)


def _replace_with(resource: dict[str, Any]) -> Mutation:
    def replace(_current: StoredVersion | None) -> dict[str, Any]:
        return resource

    return replace


async def publish(store: ResourceStore) -> int:
    """Store the published resources (so that search finds them), each only when it differs
    from the stored version; returns how many were written."""
    written = 0
    for resource in all_published():
        resource_type, id_ = resource["resourceType"], resource["id"]
        if _unchanged(await store.read(resource_type, id_), resource):
            continue
        await store.update(resource_type, id_, _replace_with(resource), None, "PUT")
        written += 1
    return written
