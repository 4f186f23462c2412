"""``$interaction-check``: foods against medications and allergies (food-drug interactions,
food allergens with cross-reactivity, drug allergies), one DetectedIssue per finding.

https://hl7.org/fhir/R4/detectedissue.html (the findings) and
https://hl7.org/fhir/R4/operations.html (the invocation). System level: foods, medications,
allergies and optionally a patient whose record is added. Instance level on Patient: foods
only; the patient's active medications and current allergies are read through the caller's
view of the data, so what the caller may not see is neither used nor revealed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from operations.base import OperationContext, OperationResult
from operations.parameters import Parameters
from operations.safety.foods import read_food
from operations.safety.model import AllergyInput, MedicationInput
from operations.safety.params import allergy_inputs, food_inputs, medication_inputs
from operations.safety.patient import patient_record, store_search
from operations.safety.render import check_parameters
from operations.safety.runner import checked
from resources import error_codes
from resources.errors import Gone, Invalid, NotFound, PayloadTooLarge

MAX_ITEMS = {"food": 200, "medication": 100, "allergy": 100}
"""Per request; a meal log or a medication list is far smaller, and the check's cost grows
with foods x rules x allergies, so a larger request is refused rather than slowed down."""


def _in(name: str, doc: str, max_: str = "*", type_: str = "string") -> dict[str, Any]:
    return {"name": name, "use": "in", "min": 0, "max": max_, "type": type_, "documentation": doc}


DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "interaction-check",
    "url": "https://nutrivision.example.org/fhir/OperationDefinition/interaction-check",
    "name": "InteractionCheck",
    "title": "Food-drug, food allergen and drug allergy check",
    "status": "active",
    "kind": "operation",
    "code": "interaction-check",
    "resource": ["Patient"],
    "system": True,
    "type": False,
    "instance": True,
    "affectsState": False,
    "parameter": [
        _in("food", "A food or drink: string, CodeableConcept, Reference to a NutritionIntake "
            "or NutritionProduct, or parts item/amount (Quantity)/time"),
        _in("medication", "System level only. A medication: string (brand or generic, with "
            "dose), CodeableConcept (RxNorm, ATC), Reference or resource "
            "(MedicationStatement, MedicationRequest, Medication), or parts item/dose/time"),
        _in("allergy", "System level only. An allergy: string, CodeableConcept (SNOMED CT), "
            "AllergyIntolerance reference or resource, or parts item/criticality"),
        _in("patient", "System level only. A patient whose active medications and allergies "
            "are added", "1", "Reference"),
        {"name": "finding", "use": "out", "min": 0, "max": "*", "type": "DetectedIssue"},
        {"name": "outcome", "use": "out", "min": 1, "max": "1", "type": "OperationOutcome"},
        {"name": "unrecognised", "use": "out", "min": 0, "max": "*", "type": "string",
         "documentation": "Parts kind (food, medication, allergy) and text: not checked"},
    ],
}  # fmt: skip


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """Run the check; the answer is a Parameters (findings, outcome, unrecognised inputs)."""
    instance = ctx.id is not None
    _check_sizes(params, instance)
    patient = f"Patient/{ctx.id}" if instance else _patient_parameter(params)
    foods = await food_inputs(ctx.store, params)
    medications: list[MedicationInput] = await medication_inputs(ctx.store, params)
    allergies: list[AllergyInput] = await allergy_inputs(ctx.store, params)
    if patient is not None:
        await _require_patient(ctx, patient)
        # Read the foods while the database answers the record search (the readings are
        # cached, so the check below reuses them).
        search = asyncio.create_task(patient_record(ctx.store, store_search(ctx.store), patient))
        for food in foods:
            read_food(food.text)
        record = await search
        medications += record.medications
        allergies += record.allergies
    result = checked("operation", foods, medications, allergies)
    return OperationResult(check_parameters(result, patient))


def _check_sizes(params: Parameters, instance: bool) -> None:
    if instance:
        extra = [n for n in ("medication", "allergy", "patient") if params.has(n)]
        if extra:
            raise Invalid(
                f"At instance level $interaction-check takes only foods, not {extra[0]!r}: "
                "the patient's own medications and allergies are used",
                error_codes.BAD_OPERATION_PARAMETER,
                (f"Parameters.parameter.{extra[0]}",),
            )
    if not params.has("food") and (
        instance or not (params.has("medication") or params.has("allergy"))
    ):
        raise Invalid(
            "$interaction-check needs at least one food"
            + ("" if instance else " (with medications, allergies or a patient)"),
            error_codes.INTERACTION_CHECK_EMPTY,
        )
    for name, limit in MAX_ITEMS.items():
        count = len(params.all(name))
        if count > limit:
            raise PayloadTooLarge(
                f"$interaction-check takes at most {limit} {name} parameters; {count} were sent",
                error_codes.INTERACTION_CHECK_TOO_MANY,
                (f"Parameters.parameter.{name}",),
            )


def _patient_parameter(params: Parameters) -> str | None:
    value = params.value("patient")
    if value is None:
        return None
    reference = str(value.get("reference", "")) if isinstance(value, dict) else ""
    parts = reference.split("/")
    if len(parts) < 2 or parts[-2] != "Patient" or not parts[-1]:
        raise Invalid(
            "patient must be a Reference to a Patient",
            error_codes.INTERACTION_CHECK_BAD_ITEM,
            ("Parameters.parameter.patient",),
        )
    return f"Patient/{parts[-1]}"


async def _require_patient(ctx: OperationContext, patient: str) -> None:
    stored = await ctx.store.read("Patient", patient.split("/", 1)[1])
    if stored is None:
        raise NotFound(f"{patient} is not known", error_codes.INTERACTION_CHECK_PATIENT_NOT_FOUND)
    if stored.deleted:
        raise Gone(f"{patient} was deleted", error_codes.INTERACTION_CHECK_PATIENT_GONE)
