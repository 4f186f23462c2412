"""FHIR operations, one module each; ``REGISTRY`` lists them for routing and conformance."""

from __future__ import annotations

from types import ModuleType

from operations import interaction_check, process_hl7v2, resource_meta

REGISTRY: tuple[ModuleType, ...] = (resource_meta, interaction_check, process_hl7v2)
