"""Nutrient amounts of one NutritionIntake (R5): the amounts it carries itself, else computed
from the food knowledge base for items that have only a food and an amount.

https://hl7.org/fhir/R5/nutritionintake.html
"""

from __future__ import annotations

import re
from typing import Any

from terminology.foods import Food, food_lookup
from terminology.foods.fhir import IDENTIFIER_SYSTEMS, NUTRIENT_SYSTEM
from terminology.nutrients import BY_CODE

NDB_SYSTEM = IDENTIFIER_SYSTEMS["sr24"]
_LABELS: tuple[tuple[str, str], ...] = (
    ("energy", "Energy"),
    ("protein", "Protein"),
    ("fat", "Fat"),
    ("saturated_fat", "Saturated fat"),
    ("carbohydrate", "Carbohydrate"),
    ("fiber", "Fibre"),
    ("sugars", "Sugars"),
    ("sodium", "Sodium"),
    ("potassium", "Potassium"),
    ("calcium", "Calcium"),
    ("iron", "Iron"),
    ("vitamin_c", "Vitamin C"),
    ("vitamin_d", "Vitamin D"),
    ("vitamin_k", "Vitamin K"),
)
REPORTED: tuple[tuple[str, str, str], ...] = tuple(
    (key, label, BY_CODE[key].unit) for key, label in _LABELS
)
"""(key, label, UCUM unit) of the nutrients the report shows, in the food database's codes."""
UNITS = {key: unit for key, _, unit in REPORTED}
_MASS = {"g": 1.0, "mg": 1e-3, "ug": 1e-6, "mcg": 1e-6, "kcal": 1.0}
# Vitamin D labels often state international units: 1 ug cholecalciferol = 40 IU.
_IU_PER_UG = {"vitamin_d": 40.0}
_NAMES = {
    "calories": "energy",
    "total calories": "energy",
    "energy": "energy",
    "protein": "protein",
    "fat": "fat",
    "fat total": "fat",
    "total fat": "fat",
    "saturated fat": "saturated_fat",
    "carbohydrate": "carbohydrate",
    "total carbohydrate": "carbohydrate",
    "carbs": "carbohydrate",
    "fiber": "fiber",
    "fibre": "fiber",
    "dietary fiber": "fiber",
    "sugar": "sugars",
    "sugars": "sugars",
    "total sugars": "sugars",
    "sodium": "sodium",
    "potassium": "potassium",
    "calcium": "calcium",
    "iron": "iron",
    "vitamin c": "vitamin_c",
    "vitamin d": "vitamin_d",
    "vitamin k": "vitamin_k",
}
_WORDS = re.compile(r"[a-z]+")


def nutrient_key(concept: dict[str, Any] | None) -> str | None:
    """The reported nutrient a concept names: our nutrient code, else its text."""
    if not isinstance(concept, dict):
        return None
    for coding in concept.get("coding", []):
        # Codes once used hyphens ("saturated-fat"): both spellings name the same nutrient.
        code = str(coding.get("code") or "").replace("-", "_")
        if coding.get("system") == NUTRIENT_SYSTEM and code in UNITS:
            return code
    texts = [concept.get("text")] + [c.get("display") for c in concept.get("coding", [])]
    for text in texts:
        if isinstance(text, str):
            key = _NAMES.get(" ".join(_WORDS.findall(text.lower())))
            if key:
                return key
    return None


def in_unit(quantity: dict[str, Any], key: str) -> float | None:
    """A Quantity in the report's unit for ``key`` (None when it cannot be converted)."""
    value = quantity.get("value")
    if not isinstance(value, int | float):
        return None
    unit = str(quantity.get("code") or quantity.get("unit") or "").lower()
    unit = {"milligrams": "mg", "grams": "g", "kilocalorie": "kcal", "µg": "ug"}.get(unit, unit)
    target = UNITS[key].lower()
    if unit == target:
        return float(value)
    if unit == "[iu]" and key in _IU_PER_UG:
        return float(value) / _IU_PER_UG[key] * _MASS["ug"] / _MASS[target]
    if unit in _MASS and target in _MASS and "kcal" not in (unit, target):
        return float(value) * _MASS[unit] / _MASS[target]
    return None


def _labelled(intake: dict[str, Any]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for label in intake.get("ingredientLabel", []):
        key = nutrient_key((label.get("nutrient") or {}).get("concept"))
        amount = in_unit(label.get("amount") or {}, key) if key else None
        if key and amount is not None:
            totals[key] = totals.get(key, 0.0) + amount
    return totals


def _item_food(item: dict[str, Any]) -> tuple[Food | None, str]:
    """The food an item names (SR24 NDB coding or a NutritionProduct reference) and its text."""
    product = item.get("nutritionProduct") or {}
    concept = product.get("concept") or {}
    lookup = food_lookup()
    food = None
    for coding in concept.get("coding", []):
        if coding.get("system") == NDB_SYSTEM and coding.get("code"):
            food = food or lookup.get(f"sr24-{coding['code']}")
    reference = str((product.get("reference") or {}).get("reference") or "")
    if food is None and reference.startswith("NutritionProduct/"):
        food = lookup.get(reference.split("/", 1)[1])
    text = concept.get("text") or next(
        (c.get("display") for c in concept.get("coding", []) if c.get("display")), ""
    )
    return food, str(text)


def _computed(item: dict[str, Any]) -> dict[str, float]:
    """An item's nutrients from the food database: its food and amount (grams or a household
    measure), else the food phrase its text and amount make."""
    food, text = _item_food(item)
    amount = item.get("amount") or {}
    value = amount.get("value")
    quantity = float(value) if isinstance(value, int | float) else 1.0
    lookup = food_lookup()
    if food is not None:
        unit = amount.get("code") or amount.get("unit")
        grams = lookup.portion(food, str(unit) if unit else None, quantity).grams
        found = lookup.nutrients_for(food, grams)
    else:
        words = f"{amount.get('value', '')} {amount.get('unit', '')} {text}".strip()
        resolved = lookup.resolve(words) if text else None
        found = resolved.nutrients if resolved else {}
    return {k: a.value for k, a in found.items() if k in UNITS}


def intake_nutrients(intake: dict[str, Any]) -> tuple[dict[str, float], bool]:
    """The nutrients of one intake, and whether they were computed from the knowledge base
    (False: the intake's own ``ingredientLabel`` amounts)."""
    labelled = _labelled(intake)
    if labelled:
        return labelled, False
    totals: dict[str, float] = {}
    for item in intake.get("consumedItem", []):
        if item.get("notConsumed") is True:
            continue
        for key, value in _computed(item).items():
            totals[key] = totals.get(key, 0.0) + value
    return totals, True
