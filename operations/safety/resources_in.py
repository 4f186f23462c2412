"""Reading check inputs out of FHIR resources: NutritionIntake, MedicationStatement,
MedicationRequest, Medication, AllergyIntolerance; and which of them are current."""

from __future__ import annotations

from typing import Any, Protocol

from operations.safety.foods import unit_ml, volume_in_text
from operations.safety.model import AllergyInput, Coding, FoodInput, MedicationInput
from resources import fhir_json
from resources.stored import StoredVersion

ACTIVE_STATEMENT = frozenset({"active", "intended", "on-hold", "unknown"})
ACTIVE_REQUEST = frozenset({"active", "on-hold", "draft", "unknown"})
_INACTIVE_ALLERGY = frozenset({"inactive", "resolved"})
_REFUTED_ALLERGY = frozenset({"refuted", "entered-in-error"})


class Reader(Protocol):
    """Anything that reads a current version: the caller's store or an open transaction."""

    async def read(self, resource_type: str, id_: str) -> StoredVersion | None:
        """The current version, or None."""


def codings(concept: Any) -> tuple[Coding, ...]:
    """(system, code, display) of a CodeableConcept's codings."""
    if not isinstance(concept, dict):
        return ()
    return tuple(
        (str(c.get("system", "")), str(c.get("code", "")), str(c.get("display", "")))
        for c in concept.get("coding", [])
        if isinstance(c, dict)
    )


def concept_text(concept: Any) -> str:
    """A CodeableConcept's text, else its first display, else its first code."""
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"])
    for _, code, display in codings(concept):
        if display or code:
            return display or code
    return ""


def hour_of(value: Any) -> float | None:
    """The time of day of a FHIR time ('08:30:00') or dateTime, in hours."""
    if not isinstance(value, str) or not value:
        return None
    text = value.split("T", 1)[1] if "T" in value else value
    hours, _, minutes = text[:5].partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        return None
    return int(hours) + int(minutes) / 60.0


def volume_of(quantity: Any) -> float | None:
    """A Quantity as millilitres when it is a volume."""
    if not isinstance(quantity, dict) or not isinstance(quantity.get("value"), int | float):
        return None
    per_unit = unit_ml(str(quantity.get("code") or quantity.get("unit") or ""))
    return float(quantity["value"]) * per_unit if per_unit is not None else None


async def load(reader: Reader, reference: str) -> dict[str, Any] | None:
    """The current JSON of a relative reference ``Type/id`` that ``reader`` can see."""
    parts = reference.split("/")
    if len(parts) < 2:
        return None
    stored = await reader.read(parts[-2], parts[-1])
    if stored is None or stored.deleted or stored.body is None:
        return None
    loaded: dict[str, Any] = fhir_json.loads(stored.body)
    return loaded


async def foods_of_intake(reader: Reader, intake: dict[str, Any]) -> list[FoodInput]:
    """The eaten items of a NutritionIntake (R5): product concept or product reference."""
    reference = f"NutritionIntake/{intake['id']}" if intake.get("id") else None
    hour = hour_of(intake.get("occurrenceDateTime"))
    out: list[FoodInput] = []
    for item in intake.get("consumedItem", []):
        if not isinstance(item, dict) or item.get("notConsumed") is True:
            continue
        product = item.get("nutritionProduct") or {}
        concept = product.get("concept")
        text = concept_text(concept)
        if not text and isinstance(product.get("reference"), dict):
            text = await _product_text(reader, product["reference"])
        if text:
            volume = volume_of(item.get("amount")) or volume_in_text(text)
            out.append(FoodInput(text, codings(concept), volume, hour, reference))
    return out


async def _product_text(reader: Reader, reference: dict[str, Any]) -> str:
    ref = str(reference.get("reference", ""))
    product = await load(reader, ref) if ref else None
    if product is None:
        return str(reference.get("display", ""))
    return concept_text(product.get("code")) or str(reference.get("display", ""))


async def medication_of(reader: Reader, resource: dict[str, Any]) -> MedicationInput | None:
    """A MedicationStatement or MedicationRequest as a check input (None when not current)."""
    kind = resource.get("resourceType")
    active = ACTIVE_STATEMENT if kind == "MedicationStatement" else ACTIVE_REQUEST
    if resource.get("status") not in active:
        return None
    concept = resource.get("medicationCodeableConcept")
    if concept is None and isinstance(resource.get("medicationReference"), dict):
        medication = await load(reader, str(resource["medicationReference"].get("reference", "")))
        concept = (medication or {}).get("code") or {
            "text": resource["medicationReference"].get("display", "")
        }
    dosages = resource.get("dosage") or resource.get("dosageInstruction") or [{}]
    dose = str(dosages[0].get("text", "")) if isinstance(dosages[0], dict) else ""
    times = ((dosages[0] or {}).get("timing") or {}).get("repeat", {}).get("timeOfDay", [])
    reference = f"{kind}/{resource['id']}" if resource.get("id") else None
    text = concept_text(concept)
    return MedicationInput(
        text, codings(concept), dose, hour_of(times[0]) if times else None, reference
    )


def allergy_of(resource: dict[str, Any]) -> AllergyInput | None:
    """An AllergyIntolerance as a check input (None when inactive, resolved or refuted)."""
    clinical = {c for _, c, _ in codings(resource.get("clinicalStatus"))}
    verification = {c for _, c, _ in codings(resource.get("verificationStatus"))}
    if clinical & _INACTIVE_ALLERGY or verification & _REFUTED_ALLERGY:
        return None
    concept = resource.get("code")
    reference = f"AllergyIntolerance/{resource['id']}" if resource.get("id") else None
    return AllergyInput(
        concept_text(concept), codings(concept), str(resource.get("criticality", "")), reference
    )
