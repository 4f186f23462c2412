"""Recognised foods as a FHIR R5 ``NutritionIntake`` of our profile.

https://hl7.org/fhir/R5/nutritionintake.html. One ``consumedItem`` per food: the
NutritionProduct it is (``terminology.foods.fhir``), the amount in grams, the household amount
(``household-amount``), its confidence and evidence (``recognition-confidence``,
``recognition-evidence``). The meal's nutrients, summed, are the ``ingredientLabel``; how it was
entered is ``input-source``; what could not be recognised is listed in a ``note``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from operations.food_intake.items import Evidence, IntakeItem, Recognised
from terminology.foods.fhir import NUTRIENT_SYSTEM
from terminology.foods.lookup import NutrientAmount

BASE = "https://nutrivision.example.org/fhir"
PROFILE = f"{BASE}/StructureDefinition/nv-nutrition-intake"
INPUT_SOURCE = f"{BASE}/StructureDefinition/input-source"
CONFIDENCE = f"{BASE}/StructureDefinition/recognition-confidence"
EVIDENCE = f"{BASE}/StructureDefinition/recognition-evidence"
HOUSEHOLD = f"{BASE}/StructureDefinition/household-amount"
VERIFIED = f"{BASE}/StructureDefinition/recognition-verified"
MEAL_TYPE = f"{BASE}/CodeSystem/meal-type"
UCUM = "http://unitsofmeasure.org"
MEAL_DISPLAY = {"breakfast": "Breakfast", "lunch": "Lunch", "dinner": "Dinner", "snack": "Snack"}


def _grams(value: float) -> dict[str, Any]:
    return {"value": round(value, 1), "unit": "g", "system": UCUM, "code": "g"}


def evidence_extension(evidence: Evidence) -> dict[str, Any]:
    """One ``recognition-evidence`` extension."""
    parts: list[dict[str, Any]] = [{"url": "kind", "valueCode": evidence.kind}]
    if evidence.box is not None:
        b = evidence.box
        box = ",".join(f"{max(v, 0.0):.1f}" for v in (b.x, b.y, b.width, b.height))
        parts.append({"url": "boundingBox", "valueString": box})
    if evidence.start is not None and evidence.end is not None:
        parts.append({"url": "textStart", "valueInteger": evidence.start})
        parts.append({"url": "textEnd", "valueInteger": evidence.end})
    if evidence.start_ms is not None and evidence.end_ms is not None:
        parts.append({"url": "segmentStart", "valueInteger": evidence.start_ms})
        parts.append({"url": "segmentEnd", "valueInteger": evidence.end_ms})
    if evidence.excerpt:
        parts.append({"url": "excerpt", "valueString": evidence.excerpt})
    return {"url": EVIDENCE, "extension": parts}


def household(item: IntakeItem) -> str:
    """The household amount as words: "2 large", "1.5 cup", "1 serving"."""
    return f"{item.quantity:g} {item.unit}"


def consumed_item(item: IntakeItem) -> dict[str, Any]:
    """The item as a ``consumedItem``."""
    extensions = [
        {"url": CONFIDENCE, "valueDecimal": item.confidence},
        {"url": HOUSEHOLD, "valueQuantity": {"value": round(item.quantity, 3), "unit": item.unit}},
        *(evidence_extension(e) for e in item.evidence),
    ]
    product: dict[str, Any] = {"concept": {"text": item.text}}
    if item.food is not None:
        product["reference"] = {"reference": f"NutritionProduct/{item.food.id}",
                                "display": item.food.name}  # fmt: skip
    amount = _grams(item.grams) if item.grams else {"value": 1, "unit": "serving"}
    return {
        "extension": extensions,
        "type": {"text": "food"},
        "nutritionProduct": product,
        "amount": amount,
    }


def total_nutrients(items: Iterable[IntakeItem]) -> list[NutrientAmount]:
    """The meal's nutrients: each nutrient summed over the items that report it."""
    totals: dict[str, NutrientAmount] = {}
    for item in items:
        for code, amount in item.nutrients.items():
            before = totals.get(code)
            value = amount.value + (before.value if before else 0.0)
            totals[code] = NutrientAmount(code, amount.name, value, amount.unit)
    return list(totals.values())


def _label(amount: NutrientAmount) -> dict[str, Any]:
    coding = {"system": NUTRIENT_SYSTEM, "code": amount.code, "display": amount.name}
    quantity = {"value": round(amount.value, 3), "unit": amount.unit, "system": UCUM,
                "code": amount.unit}  # fmt: skip
    return {"nutrient": {"concept": {"coding": [coding], "text": amount.name}}, "amount": quantity}


def nutrition_intake(
    recognised: Recognised,
    patient: str | None,
    occurrence: datetime,
    recorded: datetime,
    meal_type: str | None,
) -> dict[str, Any]:
    """The proposed NutritionIntake (status ``preparation``: not yet confirmed)."""
    intake: dict[str, Any] = {
        "resourceType": "NutritionIntake",
        "meta": {"profile": [PROFILE]},
        "extension": [
            {"url": INPUT_SOURCE, "valueCode": recognised.source},
            {"url": CONFIDENCE, "valueDecimal": round(recognised.confidence, 3)},
        ],
        "status": "preparation",
        "occurrenceDateTime": occurrence.isoformat(),
        "recorded": recorded.isoformat(),
        "consumedItem": [consumed_item(i) for i in recognised.items],
    }
    if meal_type in MEAL_DISPLAY:
        coding = {"system": MEAL_TYPE, "code": meal_type, "display": MEAL_DISPLAY[meal_type]}
        intake["code"] = {"coding": [coding], "text": MEAL_DISPLAY[meal_type]}
    if patient:
        intake["subject"] = {"reference": patient}
    label = [_label(a) for a in total_nutrients(recognised.items)]
    if label:
        intake["ingredientLabel"] = label
    if recognised.unrecognised:
        missed = "; ".join(u.text for u in recognised.unrecognised)
        intake["note"] = [{"text": f"Not recognised: {missed}"}]
    return intake
