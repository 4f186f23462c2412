"""The patient's allergen and interaction check on the recognised foods.

The same engine as ``$interaction-check`` (``operations.safety``): each recognised food is
checked by the words that were written, said or read (a label's whole text), and every phrase
that matched no food is checked too, since the allergen vocabulary knows dishes and hidden
names the food database may not (a missed allergen is the worst error).
"""

from __future__ import annotations

from operations.food_intake.items import Recognised
from operations.safety.foods import volume_in_text
from operations.safety.model import CheckResult, FoodInput
from operations.safety.patient import patient_record, store_search
from operations.safety.runner import checked
from resources import error_codes
from resources.errors import Gone, NotFound
from resources.ports import ResourceStore


def food_inputs(recognised: Recognised) -> list[FoodInput]:
    """What the check reads: every item and every unrecognised phrase."""
    foods = [
        FoodInput(
            item.safety_text,
            volume_ml=volume_in_text(item.safety_text),
            reference=f"NutritionProduct/{item.food.id}" if item.food else None,
        )
        for item in recognised.items
    ]
    foods += [FoodInput(missed.text) for missed in recognised.unrecognised]
    return foods


async def check_foods(store: ResourceStore, recognised: Recognised, patient: str) -> CheckResult:
    """The check of the recognised foods against the patient's medications and allergies."""
    record = await patient_record(store, store_search(store), patient)
    return checked("operation", food_inputs(recognised), record.medications, record.allergies)


async def require_patient(store: ResourceStore, patient: str) -> None:
    """404 for an unknown patient, 410 for a deleted one."""
    stored = await store.read("Patient", patient.split("/", 1)[1])
    if stored is None:
        raise NotFound(f"{patient} is not known", error_codes.ANALYZE_FOOD_PATIENT_NOT_FOUND)
    if stored.deleted:
        raise Gone(f"{patient} was deleted", error_codes.ANALYZE_FOOD_PATIENT_NOT_FOUND)
