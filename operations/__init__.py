"""FHIR operations, one module each; ``REGISTRY`` lists them for routing and conformance."""

from __future__ import annotations

from types import ModuleType

from operations import resource_meta, resource_validate

REGISTRY: tuple[ModuleType, ...] = (resource_meta, resource_validate)
