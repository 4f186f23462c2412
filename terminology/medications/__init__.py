"""Medications: brand and generic names, classes, RxNorm CUIs and ATC codes, with lookup."""

from terminology.medications.fhir import medication_knowledge_resource
from terminology.medications.knowledge import Medication, MedicationKnowledge, medication_knowledge
from terminology.medications.lookup import (
    ATC_SYSTEM,
    RXNORM_SYSTEM,
    MedicationMatch,
    code_match,
    find_medications,
    medication_by_code,
)

__all__ = [
    "ATC_SYSTEM",
    "RXNORM_SYSTEM",
    "Medication",
    "MedicationKnowledge",
    "MedicationMatch",
    "code_match",
    "find_medications",
    "medication_by_code",
    "medication_knowledge",
    "medication_knowledge_resource",
]
