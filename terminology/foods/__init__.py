"""Foods and nutrients: USDA SR24 composition data with household portions, and free-text
portions ('two scrambled eggs') resolved to grams and nutrients."""

from terminology.foods.database import Food, FoodDatabase, Measure, food_database
from terminology.foods.portions import Portion, portion
from terminology.foods.products import nutrition_product

__all__ = [
    "Food",
    "FoodDatabase",
    "Measure",
    "Portion",
    "food_database",
    "nutrition_product",
    "portion",
]
