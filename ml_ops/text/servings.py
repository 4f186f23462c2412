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
_BY_KEY = {key: grams for word, grams in TYPICAL_GRAMS.items() for key in normalise_term(word)}
_UNITS = frozenset({"count", "serving"})


def typical_portion(food: Food, portion: PortionAmount, quantity: float) -> PortionAmount:
    """``portion`` unless it is the bare default for a count or serving and a usual serving
    of the food is known; then that serving times ``quantity``."""
    if portion.basis != "default" or portion.unit not in _UNITS:
        return portion
    for word in (*food.head, *food.words):
        grams = _BY_KEY.get(word)
        if grams is not None:
            label = f"typical {word} serving"
            return replace(
                portion, grams=grams * quantity, grams_per_unit=grams, label=label, basis="typical"
            )
    return portion
