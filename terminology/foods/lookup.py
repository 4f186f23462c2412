"""The food lookup API used by the meal parser, the reports and the FHIR route.

``food_lookup()`` returns the process-wide ``FoodLookup`` over the shipped file:
``search(name)`` ranks foods, ``portion(food, unit, quantity)`` gives grams,
``nutrients_for(food, grams)`` scales the per-100 g amounts, and ``resolve(phrase)`` does all
three for one phrase such as "two scrambled eggs".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from terminology.foods.database import Food, FoodDatabase
from terminology.foods.phrase import parse_phrase
from terminology.foods.portions import PortionAmount, fallback, normalise_unit, portion_of
from terminology.foods.search import FoodIndex, FoodMatch
from terminology.nutrients import BY_CODE

_BORROW_CANDIDATES = 30


@dataclass(frozen=True)
class NutrientAmount:
    """An amount of one nutrient with its UCUM unit."""

    code: str
    name: str
    value: float
    unit: str


@dataclass(frozen=True)
class ResolvedFood:
    """A phrase resolved to a food, a portion in grams and the nutrients of that portion."""

    text: str
    food: Food
    score: float
    coverage: float
    quantity: float
    portion: PortionAmount
    nutrients: dict[str, NutrientAmount]


class FoodLookup:
    """Search, portions and nutrients over one food file."""

    def __init__(self, path: Path | None = None) -> None:
        self.database = FoodDatabase(path)
        self.index = FoodIndex(self.database)
        # Borrowed measures are the same for a food and unit every time: found once.
        self._borrowed_cache: dict[tuple[int, str], PortionAmount | None] = {}

    def search(self, name: str, limit: int = 10) -> list[FoodMatch]:
        """Foods for a name (synonyms, typos, preparation words), best first."""
        return self.index.search(name, limit)

    def get(self, food_id: str) -> Food | None:
        """The food with public id ``food_id`` (``sr24-01123``), or None."""
        return self.database.by_id.get(food_id)

    def portion(self, food: Food, unit: str | None, quantity: float = 1.0) -> PortionAmount:
        """Grams for ``quantity`` ``unit`` of ``food``; never fails (``PortionAmount.basis``)."""
        own = portion_of(self.database, food, unit, quantity)
        if own is not None:
            return own
        key = (food.row, normalise_unit(unit))
        if key not in self._borrowed_cache:
            self._borrowed_cache[key] = self._borrowed(food, unit, 1.0)
        per_one = self._borrowed_cache[key]
        if per_one is None:
            return fallback(unit, quantity)
        return replace(per_one, grams=per_one.grams_per_unit * quantity)

    def _borrowed(self, food: Food, unit: str | None, quantity: float) -> PortionAmount | None:
        # FNDDS foods carry no measures: a USDA food of the same kind that has them lends its.
        # The food's own words in English order, head last: "Grapes, raw" -> "raw grapes".
        head = set(food.head)
        query = " ".join([w for w in food.words if w not in head] + list(food.head))
        for match in self.index.search(query, _BORROW_CANDIDATES):
            donor = match.food
            if donor.row == food.row or donor.row not in self.database.with_portions:
                continue
            if not set(donor.head) <= set(food.words):
                continue
            found = portion_of(self.database, donor, unit, quantity)
            if found is not None and found.basis in ("usda", "volume"):
                return PortionAmount(
                    found.grams, found.grams_per_unit, found.unit, found.label, "borrowed", donor.id
                )
        return None

    def nutrients(self, food: Food) -> dict[str, NutrientAmount]:
        """Nutrients per 100 g with UCUM units."""
        return self.nutrients_for(food, 100.0)

    def nutrients_for(self, food: Food, grams: float) -> dict[str, NutrientAmount]:
        """Nutrients in ``grams`` of ``food`` (USDA amounts per 100 g, scaled)."""
        amounts = self.database.nutrients(food)
        return {
            code: NutrientAmount(
                code, BY_CODE[code].name, value * grams / 100.0, BY_CODE[code].unit
            )
            for code, value in amounts.items()
        }

    def resolve(self, text: str) -> ResolvedFood | None:
        """One food phrase ("a slice of whole wheat toast") to food, grams and nutrients."""
        phrase = parse_phrase(text)
        # "orange juice" alone is a serving of it; "an orange" is one orange.
        unit = normalise_unit(phrase.unit) if phrase.counted else "serving"
        food_words = phrase.food
        matches = self.search(food_words, 1)
        if not matches:
            return None
        best = matches[0]
        portion = self.portion(best.food, unit, phrase.quantity)
        nutrients = self.nutrients_for(best.food, portion.grams)
        return ResolvedFood(
            text, best.food, best.score, best.coverage, phrase.quantity, portion, nutrients
        )


@cache
def food_lookup() -> FoodLookup:
    """The lookup over the shipped food file, built once per process on first use."""
    return FoodLookup()
