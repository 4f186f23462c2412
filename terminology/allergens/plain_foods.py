"""Common food words that carry no allergen or interaction group by themselves.

They make a food 'recognised' (so that 'steamed rice' is reported as checked with nothing to
say, not as unknown) and keep spelling correction away from known words.
"""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict, Field

from terminology.allergens.loader import load_data


class PlainFoods(BaseModel):
    """``plain_foods.json``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    source: str
    note: str = Field(min_length=20)
    words: list[str] = Field(min_length=50)


@cache
def plain_food_words() -> tuple[str, ...]:
    """The shipped plain food words."""
    return tuple(load_data("plain_foods.json", PlainFoods).words)
