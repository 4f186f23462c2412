"""A minimal reading of one food phrase: quantity, household unit, food words.

"two scrambled eggs" -> (2, None, "scrambled eggs"); "a slice of whole wheat toast" -> (1,
"slice", "whole wheat toast"); "1 1/2 cups rice" -> (1.5, "cup", "rice"). Meal sentences with
several foods are the text parser's job; this reads a single item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from terminology.foods.portions import DEFAULT_GRAMS, MASS_GRAMS, UNIT_ALIASES, VOLUME_ML

NUMBER_WORDS: dict[str, float] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12,
    "half": 0.5, "quarter": 0.25, "couple": 2, "few": 3,
}  # fmt: skip
TRAILING_UNITS = frozenset(
    {"fillet", "slice", "piece", "strip", "link", "patty", "stick", "wedge", "spear"}
)
_UNITS = {*MASS_GRAMS, *VOLUME_ML, *UNIT_ALIASES, *DEFAULT_GRAMS} - {"count", "whole", "c"}
_UNITS_PLURAL = {u + "s" for u in _UNITS} | {u + "es" for u in _UNITS}
_NUMBER = re.compile(r"^(\d+)/(\d+)|^(\d+(?:\.\d+)?)(?:\s+(\d+)/(\d+))?")


@dataclass(frozen=True)
class FoodPhrase:
    """A food phrase taken apart."""

    quantity: float
    unit: str | None
    food: str
    counted: bool = True


def parse_phrase(text: str) -> FoodPhrase:
    """Quantity (default 1), unit word if any, and the remaining food words of ``text``;
    ``counted`` is False when the text gives neither a quantity nor a unit ("orange juice")."""
    rest = " ".join(text.lower().replace("-", " ").split())
    before = rest
    quantity, rest = _quantity(rest)
    counted = rest != before
    unit, rest = _unit(rest)
    rest = rest.removeprefix("of ").strip()
    if unit is None:
        unit, rest = _trailing_unit(rest)
    return FoodPhrase(quantity, unit, rest, counted or unit is not None)


def _trailing_unit(text: str) -> tuple[str | None, str]:
    # "a salmon fillet", "two bacon strips": the measure follows the food.
    words = text.split(" ")
    last = words[-1].removesuffix("s")
    if len(words) > 1 and last in TRAILING_UNITS:
        return last, " ".join(words[:-1])
    return None, text


def _quantity(text: str) -> tuple[float, str]:
    found = _NUMBER.match(text)
    if found:
        fnum, fden, whole, num, den = found.groups()
        if fnum:
            value = float(Fraction(int(fnum), int(fden)))
        else:
            value = float(whole) + (float(Fraction(int(num), int(den))) if num else 0.0)
        return value, text[found.end() :].strip()
    words = text.split(" ")
    total, article_only = 0.0, False
    while words and words[0] in NUMBER_WORDS:
        word = words.pop(0)
        value = NUMBER_WORDS[word]
        if word in ("a", "an"):
            # "a banana" is one; the article in "half a", "one and a half" adds nothing.
            total, article_only = (1.0, True) if total == 0 else (total, article_only)
        elif word == "dozen":
            total, article_only = (total or 1.0) * 12, False
        elif article_only:
            total, article_only = value, False
        else:
            total += value
        if words[:1] == ["and"] and len(words) > 1 and words[1] in NUMBER_WORDS:
            words.pop(0)
    return (total or 1.0), " ".join(words)


def _unit(text: str) -> tuple[str | None, str]:
    words = text.split(" ")
    for length in (2, 1):
        candidate = " ".join(words[:length])
        if len(words) > length and (candidate in _UNITS or candidate in _UNITS_PLURAL):
            return candidate, " ".join(words[length:])
    return None, text
