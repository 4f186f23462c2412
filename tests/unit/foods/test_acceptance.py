"""Acceptance: common diary phrases resolve to sensible USDA foods with USDA gram weights.

Each row restates what a dietitian would pick from USDA for the phrase: the food (by its USDA
name), the household measure that gives the grams (or the food lending it, for FNDDS foods
that have none) and the grams. The nutrients of the portion are then recomputed here straight
from the shipped SQLite file with plain SQL (per-100 g amount x grams / 100), not through the
lookup code, and must agree within rounding.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from terminology.foods.database import default_path
from terminology.foods.lookup import FoodLookup, food_lookup
from terminology.nutrients import NUTRIENT_CODES

# (phrase, USDA food, measure label, food lending the measure, grams of the whole portion)
CASES: list[tuple[str, str, str, str | None, float]] = [
    ("two scrambled eggs", "Egg, whole, cooked, scrambled", "large", None, 122.0),
    (
        "a slice of whole wheat toast",
        "Bread, whole-wheat, commercially prepared, toasted",
        "slice",
        None,
        25.0,
    ),
    (
        "grilled chicken breast",
        "Chicken, broilers or fryers, breast, meat only, cooked, roasted",
        "breast, bone and skin removed",
        None,
        86.0,
    ),
    (
        "steamed broccoli",
        "Broccoli, cooked, boiled, drained, without salt",
        "cup, chopped",
        None,
        78.0,
    ),
    ("a banana", "Bananas, raw", 'medium (7" to 7-7/8" long)', None, 118.0),
    ("an apple", "Apples, raw, without skin", 'medium (3" dia)', None, 161.0),
    ("a cup of milk", "Milk, whole", "cup", "Milk, buttermilk, fluid, whole", 245.0),
    ("a glass of orange juice", "Orange juice, raw", "glass (from cup)", None, 248.0),
    ("1 cup rice", "Rice, white, long-grain, regular, cooked", "cup", None, 158.0),
    (
        "2 tbsp peanut butter",
        "Peanut butter",
        "tbsp",
        "Peanut butter, chunk style, without salt",
        32.0,
    ),
    ("3 oz salmon", "Fish, salmon, coho, wild, cooked, moist heat", "oz", None, 85.0),
    (
        "a cup of coffee",
        "Coffee, brewed",
        "cup (8 fl oz)",
        "Coffee, brewed from grounds, prepared with tap water",
        237.0,
    ),
    ("a large egg", "Egg, whole, raw, fresh", "large", None, 50.0),
    (
        "a medium potato",
        "Potatoes, baked, flesh, without salt",
        'medium (2-1/4" to 3-1/4" dia.)',
        "Potatoes, boiled, cooked without skin, flesh, without salt",
        167.0,
    ),
    ("two slices of bacon", "Pork, cured, bacon, cooked, baked", "slice cooked", None, 16.2),
    (
        "a cup of yogurt",
        "Yogurt, whole milk, plain",
        "cup (8 fl oz)",
        "Yogurt, plain, whole milk, 8 grams protein per 8 ounce",
        245.0,
    ),
    ("an orange", "Oranges, raw, all commercial varieties", 'large (3-1/16" dia)', None, 184.0),
    ("a cup of strawberries", "Strawberries, raw", "cup, halves", None, 152.0),
    ("a tablespoon of olive oil", "Olive oil", "tablespoon", "Oil, corn, peanut, and olive", 14.0),
    ("a slice of cheddar cheese", "Cheese, cheddar", "slice (1 oz)", None, 28.0),
    (
        "a cup of black beans",
        "Beans, black, mature seeds, cooked, boiled, without salt",
        "cup",
        None,
        172.0,
    ),
    ("a cup of spinach", "Spinach, raw", "cup", None, 30.0),
    ("a carrot", "Carrots, raw", "medium", None, 61.0),
    ("a tomato", "Tomatoes, raw", "medium", "Tomatoes, green, raw", 123.0),
    (
        "a pork chop",
        "Pork, fresh, blade, (chops), boneless, separable lean and fat, cooked, broiled",
        "chop",
        None,
        131.0,
    ),
    (
        "a chicken thigh",
        "Chicken, broilers or fryers, thigh, meat only, cooked, roasted",
        "thigh with skin (yield from 1 lb ready-to-cook chicken)",
        None,
        135.0,
    ),
    ("a hot dog", "Frankfurter, meat", "serving (1 hot dog)", None, 52.0),
    ("a salmon fillet", "Fish, salmon, coho, wild, cooked, moist heat", "fillet", None, 155.0),
    ("a slice of white bread", "Bread, white", "slice", "Bread, wheat, white wheat", 28.0),
    ("a can of coke", "Carbonated beverage, cola, without caffeine", "can 12 fl oz", None, 368.0),
    ("a cup of grapes", "Grapes, raw", "cup", "Grapes, american type (slip skin), raw", 92.0),
    (
        "a cup of green beans",
        "Beans, snap, green, cooked, boiled, drained, without salt",
        "cup",
        None,
        125.0,
    ),
    ("a tsp of sugar", "Sugars, granulated", "tsp", None, 4.2),
    ("a pear", "Pears, raw", "medium", None, 178.0),
    ("a peach", "Peaches, raw", 'medium (2-2/3" dia)', None, 150.0),
    ("a cup of blueberries", "Blueberries, raw", "cup", None, 148.0),
    (
        "an avocado",
        "Avocados, raw, all commercial varieties",
        "avocado, NS as to Florida or California",
        None,
        201.0,
    ),
    ("a cup of lettuce", "Lettuce, raw", "cup shredded", "Lettuce, red leaf, raw", 28.0),
    ("a tbsp of butter", "Butter, without salt", "tbsp", None, 14.2),
    (
        "a chocolate chip cookie",
        "Cookie, chocolate chip",
        'cookie, medium (2-1/4" dia)',
        "Cookies, chocolate chip, refrigerated dough, baked",
        12.0,
    ),
    (
        "a pancake",
        "Pancakes, plain",
        'pancake (4" dia)',
        "Pancakes, plain, prepared from recipe",
        38.0,
    ),
    (
        "a waffle",
        "Waffle, plain",
        'waffle, round (7" dia)',
        "Waffles, plain, prepared from recipe",
        75.0,
    ),
    (
        "a cup of lentil soup",
        "Soup, lentil",
        "cup (8 fl oz)",
        "Soup, lentil with ham, canned, ready-to-serve",
        248.0,
    ),
    ("a cup of green peas", "Peas, green, raw", "cup", None, 145.0),
    ("an onion", "Onions, raw", 'medium (2-1/2" dia)', None, 110.0),
    ("a cup of watermelon", "Watermelon, raw", "cup, balls", None, 154.0),
    ("a tbsp of honey", "Honey", "tbsp", None, 21.0),
    ("a cup of tofu", "Tofu, raw, regular, prepared with calcium sulfate", "cup", None, 248.0),
    ("a cup of hummus", "Hummus, commercial", "cup", None, 246.0),
    ("a slice of ham", "Ham", 'slice (4-1/4" x 4-1/4" x 1/16")', "Ham, minced", 21.0),
    (
        "a cup of mashed potatoes",
        "Potatoes, mashed, home-prepared, whole milk added",
        "cup",
        None,
        210.0,
    ),
    ("a cup of brown rice", "Rice, brown, long-grain, cooked", "cup", None, 195.0),
    ("a cup of cooked quinoa", "Quinoa, cooked", "cup", None, 185.0),
    ("a boiled egg", "Egg, whole, cooked, hard-boiled", "large", None, 50.0),
    ("a cup of almonds", "Nuts, almonds", "cup, ground", None, 95.0),
    (
        "a cup of oatmeal",
        "Cereals, oats, regular and quick, unenriched, cooked with water"
        " (includes boiling and microwaving), without salt",
        "cup",
        None,
        234.0,
    ),
]
# Resolved without a USDA measure of this food or a similar one: conversions, not guesses.
CONVERTED = {"3 oz salmon": "mass", "a glass of orange juice": "volume"}


@pytest.fixture(scope="module")
def lookup() -> FoodLookup:
    return food_lookup()


@pytest.fixture(scope="module")
def db() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(f"file:{default_path()}?mode=ro", uri=True)
    yield connection
    connection.close()


def _row(db: sqlite3.Connection, name: str) -> int:
    rows = db.execute("SELECT id FROM food WHERE name = ?", (name,)).fetchall()
    assert len(rows) == 1, f"{name!r} is not one food of the shipped file"
    return int(rows[0][0])


def test_at_least_fifty_four_phrases() -> None:
    assert len(CASES) >= 54
    for required in ("two scrambled eggs", "a slice of whole wheat toast"):
        assert required in {c[0] for c in CASES}
    assert {"grilled chicken breast", "steamed broccoli"} <= {c[0] for c in CASES}


@pytest.mark.parametrize(
    ("phrase", "food", "label", "donor", "grams"), CASES, ids=[c[0] for c in CASES]
)
def test_phrase_resolves_to_usda_food_and_portion(
    lookup: FoodLookup,
    db: sqlite3.Connection,
    phrase: str,
    food: str,
    label: str,
    donor: str | None,
    grams: float,
) -> None:
    resolved = lookup.resolve(phrase)
    assert resolved is not None
    assert resolved.food.name == food
    assert resolved.portion.label == label
    assert resolved.portion.grams == pytest.approx(grams, abs=0.06)
    measured_on = _row(db, donor or food)
    if phrase in CONVERTED:
        assert resolved.portion.basis == CONVERTED[phrase]
    else:
        assert resolved.portion.basis == ("borrowed" if donor else "usda")
        assert (donor is None) == (resolved.portion.donor_id is None)
        measures = db.execute(
            "SELECT amount, grams FROM portion WHERE food_id = ? AND label = ?",
            (measured_on, label),
        ).fetchall()
        assert measures, f"no USDA measure {label!r} for {donor or food!r}"
        per_unit = {g / a if a >= 1 else g for a, g in measures}
        assert any(grams / unit == pytest.approx(round(grams / unit)) for unit in per_unit)


@pytest.mark.parametrize(
    ("phrase", "food", "label", "donor", "grams"), CASES, ids=[c[0] for c in CASES]
)
def test_portion_nutrients_match_usda_values(
    lookup: FoodLookup,
    db: sqlite3.Connection,
    phrase: str,
    food: str,
    label: str,
    donor: str | None,
    grams: float,
) -> None:
    resolved = lookup.resolve(phrase)
    assert resolved is not None
    columns = ", ".join(NUTRIENT_CODES)
    per_100g = db.execute(
        f"SELECT {columns} FROM food WHERE name = ?",  # noqa: S608 - fixed column names
        (food,),
    ).fetchone()
    expected = {
        code: value * grams / 100
        for code, value in zip(NUTRIENT_CODES, per_100g, strict=True)
        if value is not None
    }
    assert "energy" in expected
    assert "protein" in expected
    got = {code: amount.value for code, amount in resolved.nutrients.items()}
    assert got.keys() == expected.keys()
    for code, value in expected.items():
        # Within rounding: the case table gives grams to 0.1 g.
        assert got[code] == pytest.approx(value, rel=0.002, abs=0.01), code
