"""Grams for a household measure of a food.

In order: a mass unit converts directly; a USDA household measure of the food whose label
starts with the unit ("cup", "cup, chopped", "slice", "large") gives its gram weight; a volume
unit converts from any volume measure of the food; a count ("two eggs", "a banana") takes the
food's medium, large or piece measure, or a measure named after the food ("breast", "fillet");
a food without measures borrows them from the closest USDA food that has them; last come
stated defaults. The result says which of these gave the grams (``basis``).
"""

from __future__ import annotations

from dataclasses import dataclass

from terminology.foods.database import Food, FoodDatabase, Portion
from terminology.textmatch import normalise_term

MASS_GRAMS: dict[str, float] = {"g": 1.0, "kg": 1000.0, "mg": 0.001, "oz": 28.3495, "lb": 453.592}
VOLUME_ML: dict[str, float] = {
    "ml": 1.0, "l": 1000.0, "dl": 100.0, "cup": 236.588, "tbsp": 14.787, "tsp": 4.929,
    "fl oz": 29.574, "pint": 473.176, "quart": 946.353,
    # Not standard measures: an 8 fl oz glass or mug and a 1.5-cup bowl, stated conventions.
    "glass": 236.588, "mug": 236.588, "bowl": 354.882,
}  # fmt: skip
UNIT_ALIASES: dict[str, str] = {
    "gram": "g", "gr": "g", "kilogram": "kg", "kilo": "kg", "milligram": "mg", "ounce": "oz",
    "pound": "lb", "lbs": "lb", "cups": "cup", "c": "cup", "tablespoon": "tbsp", "tbs": "tbsp",
    "tbl": "tbsp", "teaspoon": "tsp", "fluid ounce": "fl oz", "floz": "fl oz",
    "milliliter": "ml", "millilitre": "ml", "liter": "l", "litre": "l", "pc": "piece",
    "pcs": "piece", "each": "count", "whole": "count", "item": "count", "unit": "count",
    "sliced": "slice", "strip": "slice", "rasher": "slice", "serve": "serving",
    "portion": "serving", "helping": "serving",
    "large": "large", "big": "large", "medium": "medium", "small": "small",
}  # fmt: skip
COUNT_LABELS = ("medium", "large", "piece", "item", "fruit", "whole", "small", "each", "clove")
# Eggs are counted by the large size, the size USDA and recipes take as the reference egg.
COUNT_PREFERENCE: dict[str, tuple[str, ...]] = {"egg": ("large",)}
# For a food named without a count ("steamed broccoli"), the measures a serving is read from.
SERVING_LABELS = ("serving", "cup", "slice", "unit")
# A food named with neither quantity nor unit ("orange juice", "butter") is one serving:
# USDA's serving measures first, a cup for drinks and soups, a tablespoon for fats, oils,
# sweeteners and condiments, then a count measure (a cup when one item is under 20 g).
SERVING_FIRST = ("serving", "nlea serving")
SMALL_ITEM_GRAMS = 20.0
SPOON_WORDS = frozenset(
    {"butter", "margarine", "oil", "mayonnaise", "dressing", "syrup", "honey", "jam", "jelly",
     "sauce", "catsup", "ketchup", "mustard", "sugar", "cream", "spread", "salsa", "gravy"}
)  # fmt: skip
CUP_WORDS = frozenset(
    {"juice", "milk", "beverage", "drink", "soda", "coffee", "tea", "water", "soup", "smoothie"}
)
# Used only when neither the food nor a similar USDA food has a measure; stated conventions.
DEFAULT_GRAMS: dict[str, float] = {
    "serving": 100.0, "count": 100.0, "piece": 50.0, "slice": 30.0, "handful": 30.0,
    "plate": 300.0, "scoop": 60.0, "bar": 50.0, "packet": 30.0, "can": 355.0,
    "large": 120.0, "medium": 100.0, "small": 70.0,
    # Diary measures with no USDA counterpart: a snack bag, a chocolate square, a drizzle.
    "square": 10.0, "bag": 28.0, "bottle": 500.0, "container": 170.0, "pinch": 0.5,
    "dash": 1.0, "splash": 15.0, "drizzle": 7.0, "spoonful": 15.0,
}  # fmt: skip


@dataclass(frozen=True)
class PortionAmount:
    """Grams for ``quantity`` ``unit`` of a food, and where the gram weight came from.

    ``basis`` is ``mass`` (unit conversion), ``usda`` (a USDA measure of this food),
    ``volume`` (converted from a USDA volume measure), ``borrowed`` (a USDA measure of the food
    ``donor_id``), ``density`` (volume at 1 g/ml) or ``default`` (``DEFAULT_GRAMS``).
    """

    grams: float
    grams_per_unit: float
    unit: str
    label: str
    basis: str
    donor_id: str | None = None


def normalise_unit(unit: str | None) -> str:
    """The canonical unit for a diary unit word (``None`` or an empty word is a count)."""
    if not unit:
        return "count"
    key = " ".join(normalise_term(unit))
    return UNIT_ALIASES.get(key, key)


def _label_key(portion: Portion) -> tuple[str, ...]:
    head = portion.label.split(",", 1)[0].split("(", 1)[0]
    return normalise_term(head)


def _label_unit(portion: Portion) -> str:
    return normalise_unit(" ".join(_label_key(portion)))


def match_portion(food: Food, portions: list[Portion], unit: str) -> Portion | None:
    """The USDA measure of ``food`` that ``unit`` names, or None."""
    if unit == "serving":
        return _serving(food, portions)
    if unit == "count":
        preferred = next((p for w in food.head for p in COUNT_PREFERENCE.get(w, ())), None)
        if preferred is not None and _first_starting(portions, preferred) is not None:
            return _first_starting(portions, preferred)
        # A measure named after the food itself comes first: "breast", "fillet", "chop".
        named = next((p for p in portions if set(_label_key(p)[:1]) & set(food.words)), None)
        for wanted in COUNT_LABELS:
            found = _first_starting(portions, wanted)
            if found is not None:
                return named or found
        return named or next(
            filter(None, (_first_starting(portions, w) for w in SERVING_LABELS)), None
        )
    exact = next((p for p in portions if _label_unit(p) == unit), None)
    return exact or _first_starting(portions, unit)


def _serving(food: Food, portions: list[Portion]) -> Portion | None:
    for wanted in SERVING_FIRST:
        found = _first_starting(portions, wanted)
        if found is not None:
            return found
    if set(food.head) & CUP_WORDS:
        cup = _first_starting(portions, "cup")
        if cup is not None:
            return cup
    if set(food.head) & SPOON_WORDS:
        spoon = _first_starting(portions, "tbsp") or _first_starting(portions, "tablespoon")
        if spoon is not None:
            return spoon
    counted = match_portion(food, portions, "count")
    small = counted is not None and counted.grams_per_unit < SMALL_ITEM_GRAMS
    if small and counted is not None and not counted.label.startswith("clove"):
        # One raspberry or one mushroom is not a serving: take a cup of them.
        return _first_starting(portions, "cup") or counted
    return counted


def _first_starting(portions: list[Portion], unit: str) -> Portion | None:
    words = tuple(unit.split())
    return next((p for p in portions if _label_key(p)[: len(words)] == words), None)


def from_volume(portions: list[Portion], unit: str) -> tuple[Portion, float] | None:
    """A volume measure of the food and the grams per ``unit`` it implies, if any."""
    for portion in portions:
        label_unit = _label_unit(portion)
        if label_unit in VOLUME_ML and label_unit not in ("glass", "mug", "bowl"):
            grams_per_ml = portion.grams_per_unit / VOLUME_ML[label_unit]
            return portion, grams_per_ml * VOLUME_ML[unit]
    return None


def portion_of(
    database: FoodDatabase, food: Food, unit: str | None, quantity: float = 1.0
) -> PortionAmount | None:
    """Grams for ``quantity`` ``unit`` of ``food`` from its own data, or None if it has none."""
    canonical = normalise_unit(unit)
    if canonical in MASS_GRAMS:
        per = MASS_GRAMS[canonical]
        return PortionAmount(per * quantity, per, canonical, canonical, "mass")
    portions = database.portions(food)
    found = match_portion(food, portions, canonical)
    if found is not None:
        per = found.grams_per_unit
        if found.amount < 1 and canonical not in VOLUME_ML:
            # USDA lists "0.5 breast", "0.5 fillet": a breast half is what a diary calls one.
            per = found.grams
        return PortionAmount(per * quantity, per, canonical, found.label, "usda")
    if canonical in VOLUME_ML:
        converted = from_volume(portions, canonical)
        if converted is not None:
            label = f"{canonical} (from {converted[0].label})"
            return PortionAmount(converted[1] * quantity, converted[1], canonical, label, "volume")
    return None


def fallback(unit: str | None, quantity: float = 1.0) -> PortionAmount:
    """Grams when no USDA measure applies: 1 g/ml for volumes, else ``DEFAULT_GRAMS``."""
    canonical = normalise_unit(unit)
    if canonical in VOLUME_ML:
        per = VOLUME_ML[canonical]
        return PortionAmount(per * quantity, per, canonical, f"{canonical} at 1 g/ml", "density")
    per = DEFAULT_GRAMS.get(canonical, DEFAULT_GRAMS["serving"])
    return PortionAmount(per * quantity, per, canonical, f"default {canonical}", "default")
