"""Food composition: USDA foods with nutrients per 100 g and household portions.

The API is ``food_lookup()`` (see ``terminology.foods.lookup``); nothing is opened on import.
"""

from terminology.foods.database import Food, Portion
from terminology.foods.lookup import FoodLookup, NutrientAmount, ResolvedFood, food_lookup
from terminology.foods.portions import PortionAmount
from terminology.foods.search import FoodMatch

__all__ = [
    "Food",
    "FoodLookup",
    "FoodMatch",
    "NutrientAmount",
    "Portion",
    "PortionAmount",
    "ResolvedFood",
    "food_lookup",
]
