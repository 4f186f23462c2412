"""Free-text portions to grams and nutrients: 'two scrambled eggs', 'a slice of whole wheat
toast', '1/2 cup of rice', '150 g salmon'.

The text is read as [quantity] [unit] [of] food: the quantity in digits, a fraction or words
(a, an, one ... twelve, half, a couple of); the unit a household measure (slice, cup, tbsp,
tsp, piece, glass, bowl), a size (small, medium, large) or a mass (g, kg, oz, lb). Without a
unit the food's usual measure (its alias) is one portion. Nutrients are the food's per-100 g
values scaled to the grams.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from terminology.foods.database import Food, FoodDatabase, Measure, food_database, words

NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "half": 0.5,
    "couple": 2, "few": 3,
}  # fmt: skip
MASSES = {"g": 1.0, "gram": 1.0, "kg": 1000.0, "oz": 28.349523125, "ounce": 28.349523125,
          "lb": 453.59237, "pound": 453.59237, "handful": 28.349523125}  # fmt: skip
"""Grams per unit; a handful is taken as one ounce (the usual dietetic portion of nuts)."""
UNITS = {
    "slice": "slice", "cup": "cup", "tbsp": "tbsp", "tablespoon": "tbsp", "tsp": "tsp",
    "teaspoon": "tsp", "piece": "", "glass": "cup", "mug": "cup", "bowl": "cup",
    "small": "small", "medium": "medium", "large": "large", "fillet": "fillet",
    "breast": "breast", "patty": "patty", "pat": "pat", "stick": "stick", "serving": "",
    "can": "can", "wedge": "wedge",
}  # fmt: skip
_UNIT_WORDS = [[word] for word in UNITS]
_PER_CUP = {"tbsp": 16.0, "tsp": 48.0}
_LABELS = {"tbsp": ("tbsp", "tablespoon"), "tsp": ("tsp", "teaspoon")}
_SKIPPED = {"of", "the", "some", "a", "an"}


@dataclass(frozen=True)
class Portion:
    """A resolved portion: the food, how much, and what that amount provides."""

    text: str
    food: Food
    quantity: float
    measure: str
    grams: float
    nutrients: dict[str, float | None]


def _quantity(tokens: list[str]) -> tuple[float, list[str]]:
    if not tokens:
        return 1.0, tokens
    first = tokens[0]
    try:
        return float(Fraction(first)), tokens[1:]
    except (ValueError, ZeroDivisionError):
        pass
    if first in NUMBERS:
        rest = tokens[1:]
        if first in ("a", "an") and rest and rest[0] in ("couple", "few", "half"):
            return float(NUMBERS[rest[0]]), rest[1:]
        return float(NUMBERS[first]), rest
    return 1.0, tokens


def _tokens(text: str) -> list[str]:
    return [t for t in text.lower().replace(",", " ").split() if t]


def parse(text: str) -> tuple[float, str | None, str]:
    """(quantity, unit word or None, food phrase)."""
    quantity, rest = _quantity(_tokens(text))
    while rest and rest[0] in _SKIPPED:
        rest = rest[1:]
    unit = None
    if rest:
        head = words(rest[0])
        if head and (head[0] in UNITS or head[0] in MASSES) and len(rest) > 1:
            unit, rest = head[0], rest[1:]
    phrase = " ".join(t for t in rest if t not in _SKIPPED)
    return quantity, unit, phrase


def _grams_each(food: Food, unit: str | None, usual: str | None) -> tuple[str, float]:
    if unit in MASSES:
        return unit, MASSES[unit]
    wanted = UNITS.get(unit or "", "") or usual or ""
    found = next(
        (m for label in _LABELS.get(wanted, (wanted,)) if wanted and (m := food.measure(label))),
        None,
    )
    if found is None and wanted in _PER_CUP and (cup := food.measure("cup")) is not None:
        return wanted, cup.grams_each / _PER_CUP[wanted]
    if found is None:
        found = food.measure(usual) if usual else None
    found = found or (food.measures[0] if food.measures else Measure(1.0, "100 g", 100.0))
    return found.label, found.grams_each


def portion(text: str, database: FoodDatabase | None = None) -> Portion | None:
    """The portion ``text`` describes, or None when no food matches."""
    db = database or food_database()
    quantity, unit, phrase = parse(text)
    head, _, last = phrase.rpartition(" ")
    if unit is None and db.alias(phrase) is None and head and words(last)[:1] in _UNIT_WORDS:
        unit, phrase = words(last)[0], head  # 'a salmon fillet', 'a watermelon wedge'
    alias = db.alias(phrase)
    foods = db.search(phrase, limit=1)
    if not foods:
        return None
    food = foods[0]
    measure, each = _grams_each(
        food, unit, alias.measure if alias and alias.ndb == food.ndb else None
    )
    grams = round(quantity * each, 2)
    nutrients = {
        key: None if value is None else value * grams / 100 for key, value in food.per_100g.items()
    }
    return Portion(text, food, quantity, measure, grams, nutrients)
