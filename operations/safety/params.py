"""``$interaction-check`` parameters as check inputs.

Each of ``food``, ``medication`` and ``allergy`` may be a string, a CodeableConcept, a
Reference (NutritionIntake or NutritionProduct; MedicationStatement, MedicationRequest or
Medication; AllergyIntolerance), an inline resource, or parts: ``item`` (any of those),
``amount`` (Quantity), ``time`` (time or dateTime), ``dose`` (string), ``criticality`` (code).
"""

from __future__ import annotations

from typing import Any

from operations.parameters import Parameters
from operations.safety.foods import volume_in_text
from operations.safety.model import AllergyInput, FoodInput, MedicationInput
from operations.safety.resources_in import (
    Reader,
    allergy_of,
    codings,
    concept_text,
    foods_of_intake,
    hour_of,
    load,
    medication_of,
    volume_of,
)
from resources import error_codes
from resources.errors import Invalid, NotFound

_VALUE_KEYS = ("valueString", "valueCodeableConcept", "valueReference", "valueCoding", "resource")


def _bad(name: str, message: str) -> Invalid:
    return Invalid(
        message, error_codes.INTERACTION_CHECK_BAD_ITEM, (f"Parameters.parameter.{name}",)
    )


def _parts(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    parts = entry.get("part") or []
    return {str(p.get("name")): p for p in parts if isinstance(p, dict)}


def _item(entry: dict[str, Any]) -> tuple[str, Any]:
    """The (value key, value) of an entry, or of its ``item`` part."""
    source = _parts(entry).get("item", entry) if "part" in entry else entry
    for key in _VALUE_KEYS:
        if key in source:
            return key, source[key]
    return "", None


def _text_and_codings(name: str, key: str, value: Any) -> tuple[str, tuple[Any, ...]]:
    if key == "valueString" and isinstance(value, str) and value.strip():
        return value.strip(), ()
    if key == "valueCodeableConcept" and isinstance(value, dict):
        found = concept_text(value), codings(value)
        if found[0] or found[1]:
            return found
    if key == "valueCoding" and isinstance(value, dict):
        concept = {"coding": [value]}
        return concept_text(concept), codings(concept)
    raise _bad(name, f"{name} needs a string, a CodeableConcept, a Reference or a resource")


async def _referenced(reader: Reader, name: str, value: Any) -> dict[str, Any]:
    reference = str(value.get("reference", "")) if isinstance(value, dict) else ""
    loaded = await load(reader, reference) if reference else None
    if loaded is None:
        raise NotFound(
            f"{name} reference {reference!r} is not known",
            error_codes.INTERACTION_CHECK_REFERENCE_NOT_FOUND,
        )
    return loaded


async def food_inputs(reader: Reader, params: Parameters) -> list[FoodInput]:
    """Every ``food`` parameter as foods (a NutritionIntake gives each of its items)."""
    out: list[FoodInput] = []
    for entry in params.all("food"):
        key, value = _item(entry)
        parts = _parts(entry)
        if key in ("valueReference", "resource"):
            resource = value if key == "resource" else await _referenced(reader, "food", value)
            out += await _food_resource(reader, resource)
            continue
        text, coded = _text_and_codings("food", key, value)
        amount = parts.get("amount", {}).get("valueQuantity")
        volume = volume_of(amount) or volume_in_text(text)
        hour = hour_of(_time(parts))
        out.append(FoodInput(text, coded, volume, hour))
    return out


async def _food_resource(reader: Reader, resource: dict[str, Any]) -> list[FoodInput]:
    if resource.get("resourceType") == "NutritionIntake":
        return await foods_of_intake(reader, resource)
    if resource.get("resourceType") == "NutritionProduct":
        text = concept_text(resource.get("code"))
        if text:
            return [FoodInput(text, codings(resource.get("code")))]
    raise _bad(
        "food", "a food resource must be a NutritionIntake or a NutritionProduct with a code"
    )


async def medication_inputs(reader: Reader, params: Parameters) -> list[MedicationInput]:
    """Every ``medication`` parameter as a medication."""
    out: list[MedicationInput] = []
    for entry in params.all("medication"):
        key, value = _item(entry)
        parts = _parts(entry)
        if key in ("valueReference", "resource"):
            resource = (
                value if key == "resource" else await _referenced(reader, "medication", value)
            )
            out.append(await _medication_resource(reader, resource))
            continue
        text, coded = _text_and_codings("medication", key, value)
        dose = str(parts.get("dose", {}).get("valueString", ""))
        out.append(MedicationInput(text, coded, dose, hour_of(_time(parts))))
    return out


async def _medication_resource(reader: Reader, resource: dict[str, Any]) -> MedicationInput:
    kind = resource.get("resourceType")
    if kind == "Medication":
        concept = resource.get("code")
        return MedicationInput(concept_text(concept), codings(concept))
    if kind in ("MedicationStatement", "MedicationRequest"):
        # An explicitly named medication is checked whatever its status says.
        forced = {**resource, "status": "active"}
        medication = await medication_of(reader, forced)
        if medication is not None and (medication.text or medication.codings):
            return medication
    raise _bad("medication", "a medication resource must name its medication")


async def allergy_inputs(reader: Reader, params: Parameters) -> list[AllergyInput]:
    """Every ``allergy`` parameter as an allergy."""
    out: list[AllergyInput] = []
    for entry in params.all("allergy"):
        key, value = _item(entry)
        if key in ("valueReference", "resource"):
            resource = value if key == "resource" else await _referenced(reader, "allergy", value)
            if resource.get("resourceType") != "AllergyIntolerance":
                raise _bad("allergy", "an allergy resource must be an AllergyIntolerance")
            allergy = allergy_of({**resource, "clinicalStatus": None, "verificationStatus": None})
            if allergy is None or not (allergy.text or allergy.codings):
                raise _bad("allergy", "the AllergyIntolerance has no code")
            out.append(allergy)
            continue
        text, coded = _text_and_codings("allergy", key, value)
        criticality = str(_parts(entry).get("criticality", {}).get("valueCode", ""))
        out.append(AllergyInput(text, coded, criticality))
    return out


def _time(parts: dict[str, dict[str, Any]]) -> Any:
    part = parts.get("time", {})
    return part.get("valueTime") or part.get("valueDateTime")
