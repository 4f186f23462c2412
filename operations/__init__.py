"""FHIR operations, one module each; ``REGISTRY`` lists them for routing and conformance."""

from __future__ import annotations

from types import ModuleType

from operations import emergency_info, interaction_check, resource_meta

REGISTRY: tuple[ModuleType, ...] = (resource_meta, interaction_check, emergency_info)
