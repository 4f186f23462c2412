"""Nutrient amounts of one NutritionIntake (R5): the amounts it carries itself, else computed
from the food knowledge base for items that have only a food and an amount.

https://hl7.org/fhir/R5/nutritionintake.html
"""

from __future__ import annotations

import re
from typing import Any

from terminology.foods.database import food_database
from terminology.foods.portions import portion
from terminology.foods.products import NDB_SYSTEM, NUTRIENT_SYSTEM

REPORTED: tuple[tuple[str, str, str], ...] = (
    ("energy", "Energy", "kcal"),
    ("protein", "Protein", "g"),
    ("fat", "Fat", "g"),
    ("saturated-fat", "Saturated fat", "g"),
    ("carbohydrate", "Carbohydrate", "g"),
    ("fiber", "Fibre", "g"),
    ("sugars", "Sugars", "g"),
    ("sodium", "Sodium", "mg"),
    ("potassium", "Potassium", "mg"),
    ("calcium", "Calcium", "mg"),
    ("iron", "Iron", "mg"),
    ("vitamin-c", "Vitamin C", "mg"),
    ("vitamin-d", "Vitamin D", "[iU]"),
    ("vitamin-k", "Vitamin K", "ug"),
)
"""(key, label, unit) of the nutrients the report shows, in the food database's keys."""
UNITS = {key: unit for key, _, unit in REPORTED}
_MASS = {"g": 1.0, "mg": 1e-3, "ug": 1e-6, "mcg": 1e-6, "[iu]": 1.0, "kcal": 1.0}
_NAMES = {
    "calories": "energy",
    "total calories": "energy",
    "energy": "energy",
    "protein": "protein",
    "fat": "fat",
    "fat total": "fat",
    "total fat": "fat",
    "saturated fat": "saturated-fat",
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
    "vitamin c": "vitamin-c",
    "vitamin d": "vitamin-d",
    "vitamin k": "vitamin-k",
}
_WORDS = re.compile(r"[a-z]+")


def nutrient_key(concept: dict[str, Any] | None) -> str | None:
    """The reported nutrient a concept names: our nutrient code, else its text."""
    if not isinstance(concept, dict):
        return None
    for coding in concept.get("coding", []):
        if coding.get("system") == NUTRIENT_SYSTEM and coding.get("code") in UNITS:
            return str(coding["code"])
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


def _item_text(item: dict[str, Any]) -> tuple[str | None, str]:
    concept = (item.get("nutritionProduct") or {}).get("concept") or {}
    ndb = next(
        (c.get("code") for c in concept.get("coding", []) if c.get("system") == NDB_SYSTEM), None
    )
    text = concept.get("text") or next(
        (c.get("display") for c in concept.get("coding", []) if c.get("display")), ""
    )
    return ndb, str(text)


def _computed(item: dict[str, Any]) -> dict[str, float]:
    """An item's nutrients from the food database: grams given, else its portion text."""
    ndb, text = _item_text(item)
    amount = item.get("amount") or {}
    database = food_database()
    food = database.foods.get(ndb) if ndb else None
    if food is not None and str(amount.get("code")) == "g" and amount.get("value") is not None:
        grams = float(amount["value"])
        values = {k: v * grams / 100 for k, v in food.per_100g.items() if v is not None}
    else:
        words = f"{amount.get('value', '')} {amount.get('unit', '')} {text}".strip()
        found = portion(words if food is None else f"{words} {food.name}") if text else None
        values = {k: v for k, v in (found.nutrients if found else {}).items() if v is not None}
    return {k: v for k, v in values.items() if k in UNITS}


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
