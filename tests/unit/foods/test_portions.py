"""Household portions: USDA measures, conversions, borrowed measures and stated defaults."""

from __future__ import annotations

import pytest

from terminology.foods.lookup import FoodLookup, food_lookup
from terminology.foods.phrase import parse_phrase
from terminology.foods.portions import normalise_unit


@pytest.fixture(scope="module")
def lookup() -> FoodLookup:
    return food_lookup()


def _food(lookup: FoodLookup, food_id: str) -> object:
    food = lookup.get(food_id)
    assert food is not None
    return food


def test_usda_measure_by_unit(lookup: FoodLookup) -> None:
    egg = lookup.get("sr24-01123")
    assert egg is not None
    assert lookup.portion(egg, "large").grams == 50.0
    assert lookup.portion(egg, "medium", 2).grams == 88.0
    assert lookup.portion(egg, None).label == "large"
    assert lookup.portion(egg, "cups").grams == 243.0


def test_mass_units_convert(lookup: FoodLookup) -> None:
    egg = lookup.get("sr24-01123")
    assert egg is not None
    assert lookup.portion(egg, "g", 75).grams == 75.0
    assert lookup.portion(egg, "ounces", 2).grams == pytest.approx(56.699)
    assert lookup.portion(egg, "kg", 0.5).basis == "mass"


def test_volume_converts_from_a_volume_measure(lookup: FoodLookup) -> None:
    oj = lookup.get("sr24-09206")
    assert oj is not None
    tbsp = lookup.portion(oj, "tablespoon")
    cup = lookup.portion(oj, "cup")
    assert cup.basis == "usda"
    if tbsp.basis == "volume":
        assert tbsp.grams == pytest.approx(cup.grams / 16, rel=0.01)
    ml = lookup.portion(oj, "ml", 100)
    assert ml.basis == "volume"
    assert ml.grams == pytest.approx(cup.grams / 236.588 * 100, rel=0.001)


def test_food_without_measures_borrows_them(lookup: FoodLookup) -> None:
    toast = next(f for f in lookup.database.foods if f.name == "Bread, whole wheat, toasted")
    assert toast.source == "fndds"
    slice_ = lookup.portion(toast, "slice")
    assert slice_.basis == "borrowed"
    assert slice_.donor_id is not None
    donor = lookup.get(slice_.donor_id)
    assert donor is not None
    assert donor.name.startswith("Bread, whole-wheat")


def test_defaults_say_so(lookup: FoodLookup) -> None:
    kiwi = next(f for f in lookup.database.foods if f.name == "Kiwi fruit, raw")
    handful = lookup.portion(kiwi, "handful")
    assert (handful.basis, handful.grams) == ("default", 30.0)
    spirits = next(f for f in lookup.database.foods if f.name == "Rum and cola")
    glass = lookup.portion(spirits, "glass")
    assert glass.basis in ("density", "borrowed", "volume")


@pytest.mark.parametrize(
    ("phrase", "label", "grams"),
    [
        ("orange juice", "cup", 248.0),
        ("butter", "tbsp", 14.2),
        ("honey", "tbsp", 21.0),
        ("raspberries", "cup", 123.0),
        ("strawberries", "NLEA serving", 147.0),
        ("garlic", "clove", 3.0),
        ("a banana", 'medium (7" to 7-7/8" long)', 118.0),
        ("an orange", 'large (3-1/16" dia)', 184.0),
    ],
)
def test_a_food_named_alone_is_one_serving(
    lookup: FoodLookup, phrase: str, label: str, grams: float
) -> None:
    resolved = lookup.resolve(phrase)
    assert resolved is not None
    assert (resolved.portion.label, resolved.portion.grams) == (label, grams)


@pytest.mark.parametrize(
    ("unit", "canonical"),
    [(None, "count"), ("", "count"), ("Cups", "cup"), ("tablespoons", "tbsp"), ("fl oz", "fl oz"),
     ("slices", "slice"), ("lbs", "lb"), ("each", "count"), ("grams", "g")],
)  # fmt: skip
def test_unit_words(unit: str | None, canonical: str) -> None:
    assert normalise_unit(unit) == canonical


@pytest.mark.parametrize(
    ("text", "quantity", "unit", "food"),
    [
        ("two scrambled eggs", 2, None, "scrambled eggs"),
        ("a slice of whole wheat toast", 1, "slice", "whole wheat toast"),
        ("1 1/2 cups rice", 1.5, "cups", "rice"),
        ("1/2 cup oatmeal", 0.5, "cup", "oatmeal"),
        ("half a cup of milk", 0.5, "cup", "milk"),
        ("one and a half cups of rice", 1.5, "cups", "rice"),
        ("a dozen eggs", 12, None, "eggs"),
        ("3 oz salmon", 3, "oz", "salmon"),
        ("a salmon fillet", 1, "fillet", "salmon"),
        ("two large eggs", 2, "large", "eggs"),
        ("steamed broccoli", 1, None, "steamed broccoli"),
    ],
)
def test_parse_phrase(text: str, quantity: float, unit: str | None, food: str) -> None:
    phrase = parse_phrase(text)
    assert (phrase.quantity, phrase.unit, phrase.food) == (quantity, unit, food)
