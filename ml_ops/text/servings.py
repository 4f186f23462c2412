"""Usual servings of dishes and drinks that USDA lists without a household measure.

Most FNDDS dishes ("Pad Thai, meatless", "Beer") carry no measure, so a diary's "a beer" or
"pad thai" would fall to the 100 g default of ``terminology.foods``. These are the usual
single servings, stated conventions in grams (drinks at their usual container: a 12 fl oz can
of beer, a 5 fl oz glass of wine), looked up by a word of the food's name, first word found
wins. Each one is marked ``typical`` on the portion, so a reader knows it is a convention.
"""

from __future__ import annotations

from dataclasses import replace

from terminology.foods import Food, PortionAmount
from terminology.textmatch import normalise_term

# Per one counted item or one serving, by a word of the USDA name (head word first).
TYPICAL_GRAMS: dict[str, float] = {
    "pizza": 107, "sandwich": 150, "burrito": 220, "taco": 100, "wrap": 200, "cheeseburger": 200,
    "hamburger": 200, "soup": 245, "chowder": 245, "salad": 150, "beer": 356, "wine": 147,
    "sushi": 30, "curry": 250, "stew": 250, "chili": 250, "smoothie": 300, "shake": 300,
    "milkshake": 300, "pancake": 38, "waffle": 39, "muffin": 113, "cookie": 16, "doughnut": 60,
    "bagel": 105, "pie": 125, "cake": 95, "cheesecake": 125, "brownie": 56, "nugget": 16,
    "dumpling": 37, "roll": 64, "quesadilla": 180, "nacho": 200, "lasagna": 250,
    "risotto": 200, "bibimbap": 450, "pho": 600, "ramen": 450, "thai": 300, "gyro": 250,
    "falafel": 17, "fajita": 125, "enchilada": 150, "samosa": 60, "naan": 90, "croissant": 57,
    "meatloaf": 150, "omelet": 120, "quiche": 150, "noodle": 200, "spaghetti": 250,
    "macaroni": 200, "fries": 117, "french": 117, "tikka": 250, "masala": 250, "bowl": 350,
    "pudding": 150, "yogurt": 170, "oats": 250, "bar": 40, "jerky": 28, "latte": 360,
    "cappuccino": 240, "espresso": 30, "coffee": 237, "tea": 237, "juice": 248, "lemonade": 248,
    "beverage": 355, "water": 500, "milk": 244, "cocoa": 250, "chocolate": 45, "candy": 40,
    "popcorn": 24, "pretzel": 30, "chip": 28, "cracker": 15, "granola": 60, "cereal": 30,
    "tofu": 120, "hummus": 30, "guacamole": 60, "gravy": 60, "pesto": 30, "dressing": 30,
    "sauce": 60, "stuffing": 100, "grits": 240, "coleslaw": 120, "tabbouleh": 100,
    "couscous": 157, "gnocchi": 150, "edamame": 75, "jelly": 20, "bread": 30, "biscuit": 60,
    "cornbread": 65, "meatball": 30, "tart": 50, "gummy": 40,
}  # fmt: skip
# FDA Reference Amounts Customarily Consumed per eating occasion (21 CFR 101.12(b), public
# domain), rounded, for foods whose USDA measure is a poor stand-in for "some X": a cup of
# cream cheese or pecans, one tortilla chip, a whole pineapple.
REFERENCE_GRAMS: dict[str, float] = {
    "cheese": 30, "cream cheese": 30, "butter": 14, "margarine": 14, "hummus": 30,
    "peanut butter": 32, "almond": 30, "walnut": 30, "pecan": 30, "cashew": 30,
    "pistachio": 30, "hazelnut": 30, "macadamia": 30, "peanut": 30, "nut": 30, "seed": 30,
    "raisin": 40, "date": 40, "fig": 40, "jam": 20, "honey": 21, "syrup": 60, "sugar": 8,
    "sour cream": 30, "cream": 15, "mayonnaise": 15, "dressing": 30, "salsa": 30,
    "catsup": 17, "mustard": 5, "gravy": 60, "oil": 14, "pineapple": 140, "melon": 140,
    "cantaloupe": 140, "watermelon": 140, "honeydew": 140, "mango": 140, "grape": 140,
    "granola": 55, "chip": 30, "pretzel": 30, "cracker": 30, "cookie": 30, "popcorn": 30,
    "tortilla chip": 30, "yogurt": 170, "cereal": 30, "edamame": 85, "bean": 130,
}  # fmt: skip
_VOLUME_LABELS = ("cup", "tbsp", "tablespoon", "tsp", "teaspoon", "fl oz", "pint", "quart")
_SERVING_UNITS = frozenset({"count", "serving", "slice", "piece", "bowl", "plate"})


def _keyed(table: dict[str, float]) -> dict[tuple[str, ...], float]:
    return {normalise_term(word): grams for word, grams in table.items()}


_TYPICAL = _keyed(TYPICAL_GRAMS)
_REFERENCE = _keyed(REFERENCE_GRAMS)


def _grams_for(
    food: Food, table: dict[tuple[str, ...], float], noun_only: bool = False
) -> tuple[str, float] | None:
    # The head as a whole first ("peanut butter", "sour cream"), then its words from the
    # last, the noun ("almond milk" is milk, not almonds), then the rest of the name.
    keys = [tuple(food.head), *((w,) for w in reversed(food.head))]
    if noun_only:
        keys = keys[:2]
    else:
        keys += [(w,) for w in food.words]
    for key in keys:
        if key in table:
            return " ".join(key), table[key]
    return None


def typical_portion(food: Food, portion: PortionAmount, quantity: float) -> PortionAmount:
    """A better portion than ``portion`` when one is known, else ``portion``.

    A dish or drink with only the bare default (or 1 g/ml) gets its usual serving; a food
    named with no amount ("some hummus") whose USDA measure is a volume or far from a usual
    serving gets the FDA reference amount.
    """
    if portion.basis in ("default", "density") and portion.unit in _SERVING_UNITS:
        found = _grams_for(food, _TYPICAL) or _grams_for(food, _REFERENCE, noun_only=True)
        if found is not None:
            bowls = 1.5 if portion.unit == "bowl" else 1.0  # a bowl is 1.5 servings
            return _set(portion, found, quantity * bowls, "typical")
    if portion.unit == "serving" and not portion.label.lower().startswith(_SERVING_LABELS):
        found = _grams_for(food, _REFERENCE, noun_only=True)
        if found is not None and _far_from(portion, found[1]):
            return _set(portion, found, quantity, "reference")
    return portion


_SERVING_LABELS = ("serving", "nlea serving")


def _far_from(portion: PortionAmount, grams: float) -> bool:
    volume = portion.label.lower().startswith(_VOLUME_LABELS)
    return volume or not grams / 3 <= portion.grams_per_unit <= grams * 2


def _set(
    portion: PortionAmount, found: tuple[str, float], quantity: float, basis: str
) -> PortionAmount:
    word, grams = found
    label = f"{basis} {word} serving"
    return replace(portion, grams=grams * quantity, grams_per_unit=grams, label=label, basis=basis)
