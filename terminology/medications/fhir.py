"""A medication of the knowledge base as a FHIR R4 ``MedicationKnowledge``.

https://hl7.org/fhir/R4/medicationknowledge.html: ``code`` carries the RxNorm ingredient CUI
and the ATC codes where recorded, ``synonym`` the brands and other names, and
``medicineClassification`` the drug classes (our class code system, with the ATC group of
the class where known).
"""

from __future__ import annotations

from typing import Any

from terminology.interactions.fhir import DRUG_CLASS_SYSTEM, INGREDIENT_SYSTEM, RXNORM_SYSTEM
from terminology.medications.knowledge import MedicationKnowledge, medication_knowledge
from terminology.medications.lookup import ATC_SYSTEM


def medication_knowledge_resource(
    ingredient: str, kb: MedicationKnowledge | None = None
) -> dict[str, Any]:
    """The ingredient as MedicationKnowledge JSON (KeyError for an unknown ingredient)."""
    kb = kb or medication_knowledge()
    medication = kb.medications[ingredient]
    coding = [{"system": INGREDIENT_SYSTEM, "code": medication.name, "display": medication.name}]
    if medication.rxnorm:
        coding.insert(
            0, {"system": RXNORM_SYSTEM, "code": medication.rxnorm, "display": medication.name}
        )
    coding += [{"system": ATC_SYSTEM, "code": code} for code in medication.atc]
    resource: dict[str, Any] = {
        "resourceType": "MedicationKnowledge",
        "id": medication.name.replace(" ", "-"),
        "code": {"coding": coding, "text": medication.name},
        "status": "active",
    }
    names = list(dict.fromkeys((*medication.brands, *medication.synonyms)))
    if names:
        resource["synonym"] = names
    if medication.classes:
        resource["medicineClassification"] = [
            {"type": {"text": "drug class"}, "classification": [_class(kb, c)]}
            for c in medication.classes
        ]
    return resource


def _class(kb: MedicationKnowledge, class_id: str) -> dict[str, Any]:
    coding = [{"system": DRUG_CLASS_SYSTEM, "code": class_id, "display": kb.class_names[class_id]}]
    if kb.class_atc.get(class_id):
        coding.append({"system": ATC_SYSTEM, "code": kb.class_atc[class_id]})
    return {"coding": coding, "text": kb.class_names[class_id]}
