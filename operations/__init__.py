"""FHIR operations, one module each; ``REGISTRY`` lists them for routing and conformance."""

from __future__ import annotations

from types import ModuleType

from operations import (
    codesystem_lookup,
    codesystem_subsumes,
    codesystem_validate_code,
    conceptmap_translate,
    resource_meta,
    valueset_expand,
    valueset_validate_code,
)

REGISTRY: tuple[ModuleType, ...] = (
    resource_meta,
    codesystem_lookup,
    codesystem_validate_code,
    codesystem_subsumes,
    valueset_validate_code,
    valueset_expand,
    conceptmap_translate,
)
