"""Our implementation guide as the server publishes it: its conformance resources by type and
id (the guide's own, and an OperationDefinition for each operation in ``REGISTRY``)."""

from __future__ import annotations

from typing import Any

from operations import REGISTRY
from profiles_ig.definitions import default_definitions

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
