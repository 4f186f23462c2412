"""FHIR operations, one module each; ``REGISTRY`` lists them for routing and conformance."""

from __future__ import annotations

from types import ModuleType

from operations import (
    analyze_food,
    bulk_export,
    bulk_import,
    clinical_report,
    codesystem_lookup,
    codesystem_subsumes,
    codesystem_validate_code,
    conceptmap_translate,
    emergency_info,
    encounter_everything,
    interaction_check,
    patient_everything,
    process_hl7v2,
    reindex,
    resource_meta,
    resource_validate,
    valueset_expand,
    valueset_validate_code,
)

REGISTRY: tuple[ModuleType, ...] = (
    resource_meta,
    resource_validate,
    patient_everything,
    encounter_everything,
    bulk_export,
    bulk_import,
    interaction_check,
    emergency_info,
    process_hl7v2,
    codesystem_lookup,
    codesystem_validate_code,
    codesystem_subsumes,
    valueset_validate_code,
    valueset_expand,
    conceptmap_translate,
    reindex,
    clinical_report,
    analyze_food,
)
