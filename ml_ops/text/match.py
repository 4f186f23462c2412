"""One food phrase to a food of the database, with grams, nutrients and a confidence.

The phrase reading (quantity, unit, food words) is ``terminology.foods.phrase``; the ranking,
synonyms and typo correction are ``terminology.foods.search``; grams come from the food's
USDA household measures (``FoodLookup.portion``), else from a usual serving
(``ml_ops.text.servings``). This module adds what a diary line needs on top: written
quantities the phrase reader does not know ("½", "a couple of"), the decision whether two
phrases joined by "and"/"with" name one food, and a confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ml_ops.text.servings import typical_portion
from terminology.foods import Food, FoodLookup, NutrientAmount, PortionAmount
from terminology.foods.phrase import FoodPhrase, parse_phrase
from terminology.foods.portions import (
    DEFAULT_GRAMS,
    MASS_GRAMS,
    UNIT_ALIASES,
    VOLUME_ML,
    normalise_unit,
)
from terminology.foods.search import parse_query
from terminology.foods.vocabulary import STOPWORDS, SYNONYMS
from terminology.textmatch import normalise_term

MIN_COVERAGE = 0.5
"""Below this share of the phrase's food words found in a food name, the phrase is reported
as not recognised rather than matched to a food that is only partly what was written."""


def _without_stopwords(text: str) -> tuple[str, ...]:
    return tuple(w for w in normalise_term(text) if w not in STOPWORDS)


_VULGAR = {
    "\u00bd": "1/2", "\u00bc": "1/4", "\u00be": "3/4", "\u2153": "1/3", "\u2154": "2/3",
    "\u215b": "1/8", "\u2155": "1/5",
}  # fmt: skip
_WRITTEN = (
    (re.compile(r"\ba (couple|pair) of\b"), "2"),
    (re.compile(r"\b(couple|pair) of\b"), "2"),
    (re.compile(r"\ba (bit|little|touch) of\b"), "1 tbsp"),
    (re.compile(r"\b(\d+) ?- ?(\d+)\b"), r"\1"),  # "2-3 cookies": the lower count
    (re.compile(r"\b(one|a) and a half\b"), "1 1/2"),
    (re.compile(r"\b(\d+) and a half\b"), r"\1 1/2"),
)
_SIZE_BEFORE_UNIT = re.compile(
    r"\b(?:big|small|large|medium|huge|little|giant|generous|heaping|heaped)\s+"
    r"(?=(?:bowl|cup|glass|plate|mug|slice|piece|handful|bag|serving|portion|scoop|spoonful"
    r"|helping|bottle|can|square)s?\b)"
)
_SIZES = frozenset({"small", "medium", "large", "big", "huge", "little", "extra", "giant"})
_SYNONYM_KEYS = frozenset(_without_stopwords(k) for k in SYNONYMS)
UNIT_WORDS = frozenset({*MASS_GRAMS, *VOLUME_ML, *UNIT_ALIASES, *DEFAULT_GRAMS} - {"c"})
_EMPTY = frozenset({"", "of", "x", "serving", "servings", "portion", "portions"})


@dataclass(frozen=True)
class Recognition:
    """A phrase matched to a food."""

    food: Food
    quantity: float
    portion: PortionAmount
    nutrients: dict[str, NutrientAmount]
    confidence: float
    coverage: float
    corrections: tuple[tuple[str, str], ...]
    """(written word, word it was read as) for each spelling correction."""


def written_quantities(text: str) -> str:
    """``text`` with quantities the phrase reader does not know written as numbers."""
    out = re.sub(r"(\d),(\d)", r"\1.\2", text.lower())  # a decimal comma: "1,5 cups"
    for glyph, fraction in _VULGAR.items():
        out = re.sub(rf"(\d)\s*{glyph}", rf"\1 {fraction}", out).replace(glyph, f" {fraction} ")
    for pattern, replacement in _WRITTEN:
        out = pattern.sub(replacement, out)
    out = _SIZE_BEFORE_UNIT.sub("", out)
    out = re.sub(r"^(?:a|an)\s+(?=\d)", "", out.strip())  # "a 12 oz steak"
    return " ".join(out.split())


def read_phrase(text: str) -> FoodPhrase:
    """Quantity, unit and food words of one phrase; a trailing quantity ("rice 1 cup") and
    size words ("a large apple" is counted by the large measure) are handled."""
    normal = written_quantities(text)
    moved = re.match(r"^(.*?[a-z].*?)\s+(\d[\d./ ]*(?:\s*[a-z]+)?)$", normal)
    trailing = moved is not None and not parse_phrase(normal).counted
    if moved and trailing and _only_units(parse_phrase(moved.group(2)).food):
        normal = f"{moved.group(2)} {moved.group(1)}"
    return parse_phrase(normal)


def is_quantity_only(text: str) -> bool:
    """True when ``text`` names a quantity or unit but no food ("2 cups", "a handful")."""
    phrase = read_phrase(text)
    return phrase.counted and _only_units(phrase.food)


def _only_units(words: str) -> bool:
    return all(w in _EMPTY or _is_unit(w) for w in words.split())


def _is_unit(word: str) -> bool:
    return any(w in UNIT_WORDS for w in (word, word.removesuffix("s"), word.removesuffix("es")))


class Matcher:
    """Phrases to foods over one ``FoodLookup``."""

    def __init__(self, lookup: FoodLookup) -> None:
        self.lookup = lookup

    def joins(self, left: str, connector: str, right: str) -> bool:
        """True when "left connector right" names one food of the database (mac and
        cheese, peanut butter and jelly sandwich), so the connector does not separate."""
        if read_phrase(right).counted or not left.strip() or not right.strip():
            return False  # "toast and 2 eggs": a new quantity starts a new food
        merged = f"{read_phrase(left).food} {connector} {right}"
        if _without_stopwords(merged) in _SYNONYM_KEYS:
            return True
        found = self.lookup.search(merged, 1)
        if not found or found[0].coverage < 0.999:
            return False
        # Both sides must be in the name's first segment, the food itself ("Beef and
        # broccoli"), not in a qualifier ("Coffee, latte, with non-dairy milk").
        head = set(found[0].food.head)
        sides = (parse_query(read_phrase(left).food).words, parse_query(right).words)
        return all(set(words) & head for words in sides)

    def recognise(self, text: str, portion_hint: float | None = None) -> Recognition | None:
        """The food ``text`` names, or None when no food matches well enough."""
        phrase = read_phrase(text)
        words = " ".join(w for w in phrase.food.split() if w not in _SIZES or w == phrase.food)
        found = self.lookup.search(words, 1)
        if not found or found[0].coverage < MIN_COVERAGE:
            return None
        match = found[0]
        unit = normalise_unit(phrase.unit) if phrase.counted else "serving"
        size = next((w for w in phrase.food.split() if w in ("small", "medium", "large")), None)
        if size and unit == "count":
            unit = size
        portion = self.lookup.portion(match.food, unit, phrase.quantity)
        portion = typical_portion(match.food, portion, phrase.quantity)
        if portion_hint is not None and portion_hint > 0:
            portion = _scaled(portion, portion_hint)
        corrections = self.corrections(words)
        nutrients = self.lookup.nutrients_for(match.food, portion.grams)
        confidence = _confidence(match.coverage, corrections, portion)
        return Recognition(
            match.food, phrase.quantity, portion, nutrients, confidence, match.coverage,
            corrections,
        )  # fmt: skip

    def corrections(self, words: str) -> tuple[tuple[str, str], ...]:
        """Each word of ``words`` the index read as another word (a typo), with its reading."""
        out: list[tuple[str, str]] = []
        for word in parse_query(words).words:
            read = self.lookup.index.correct(word)
            if read is not None and read != word:
                out.append((word, read))
        return tuple(out)


def _scaled(portion: PortionAmount, factor: float) -> PortionAmount:
    return PortionAmount(
        portion.grams * factor, portion.grams_per_unit, portion.unit,
        f"{portion.label} x {factor:g} (portion hint)", portion.basis, portion.donor_id,
    )  # fmt: skip


def _confidence(
    coverage: float, corrections: tuple[tuple[str, str], ...], portion: PortionAmount
) -> float:
    # Identification dominates: the share of written food words found, less for each guess
    # (a corrected spelling); a portion from a convention rather than USDA costs a little.
    value = 0.95 * coverage
    value *= 0.85 ** len(corrections)
    if portion.basis in ("default", "density"):
        value *= 0.9
    return round(max(0.05, min(value, 0.99)), 3)


def content_words(text: str) -> tuple[str, ...]:
    """The match keys of ``text`` (folded, singular), for comparing names."""
    return normalise_term(text)
