"""FHIR operations, one module each; ``REGISTRY`` lists them for routing and conformance."""

from __future__ import annotations

from types import ModuleType

from operations import (
    bulk_export,
    bulk_import,
    codesystem_lookup,
    codesystem_subsumes,
    codesystem_validate_code,
    conceptmap_translate,
    encounter_everything,
    interaction_check,
    patient_everything,
    process_hl7v2,
    reindex,
    resource_meta,
    valueset_expand,
    valueset_validate_code,
)

REGISTRY: tuple[ModuleType, ...] = (
    resource_meta,
    patient_everything,
    encounter_everything,
    bulk_export,
    bulk_import,
    interaction_check,
    process_hl7v2,
    codesystem_lookup,
    codesystem_validate_code,
    codesystem_subsumes,
    valueset_validate_code,
    valueset_expand,
    conceptmap_translate,
    reindex,
)
