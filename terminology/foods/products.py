"""A food as a FHIR R4B ``NutritionProduct``: its USDA identity, nutrients per 100 g, and
household measures as product characteristics (``1 large`` = 61 g).

https://hl7.org/fhir/R4B/nutritionproduct.html
"""

from __future__ import annotations

from typing import Any

from terminology.foods.database import Food, FoodDatabase, food_database

NDB_SYSTEM = "https://nutrivision.example.org/fhir/sid/usda-sr24-ndb"
NUTRIENT_SYSTEM = "https://nutrivision.example.org/fhir/CodeSystem/nutrient"
CHARACTERISTIC_SYSTEM = "https://nutrivision.example.org/fhir/CodeSystem/product-characteristic"
UCUM = "http://unitsofmeasure.org"


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _nutrients(food: Food, database: FoodDatabase) -> list[dict[str, Any]]:
    out = []
    for key, name, unit in database.nutrients:
        value = food.per_100g.get(key)
        if value is None:
            continue
        concept = {"coding": [{"system": NUTRIENT_SYSTEM, "code": key}], "text": name}
        amount = {"numerator": _quantity(value, unit), "denominator": _quantity(100, "g")}
        out.append({"item": {"concept": concept}, "amount": [amount]})
    return out


def _measures(food: Food) -> list[dict[str, Any]]:
    kind = {"coding": [{"system": CHARACTERISTIC_SYSTEM, "code": "household-measure"}]}
    return [
        {
            "type": {**kind, "text": f"{measure.amount:g} {measure.label}"},
            "valueQuantity": _quantity(measure.grams, "g"),
        }
        for measure in food.measures
    ]


def nutrition_product(food: Food, database: FoodDatabase | None = None) -> dict[str, Any]:
    """The NutritionProduct resource for ``food`` (id ``usda-<NDB>``)."""
    db = database or food_database()
    product: dict[str, Any] = {
        "resourceType": "NutritionProduct",
        "id": f"usda-{food.ndb}",
        "status": "active",
        "code": {
            "coding": [{"system": NDB_SYSTEM, "code": food.ndb, "display": food.name}],
            "text": food.name,
        },
        "note": [{"text": f"Source: {db.source}, NDB {food.ndb}; amounts per 100 g"}],
    }
    nutrients = _nutrients(food, db)
    if nutrients:
        product["nutrient"] = nutrients
    measures = _measures(food)
    if measures:
        product["productCharacteristic"] = measures
    return product
