"""FHIR operations, one module each; ``REGISTRY`` lists them for routing and conformance."""

from __future__ import annotations

from types import ModuleType

from operations import (
    bulk_export,
    bulk_import,
    encounter_everything,
    interaction_check,
    patient_everything,
    process_hl7v2,
    resource_meta,
)

REGISTRY: tuple[ModuleType, ...] = (
    resource_meta,
    patient_everything,
    encounter_everything,
    bulk_export,
    bulk_import,
    interaction_check,
    process_hl7v2,
)
