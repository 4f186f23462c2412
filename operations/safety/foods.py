"""Reading a food text: allergens, interaction food groups, amount; spelling-corrected
readings kept with lower confidence, never instead of what the text says as written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from operations.safety.model import Confidence
from terminology.allergens.cross_reactivity import cross_pairs
from terminology.allergens.matcher import AllergenHit, allergens_in
from terminology.allergens.plain_foods import plain_food_words
from terminology.allergens.vocabulary import vocabulary
from terminology.interactions.foods import FoodEvidence, food_groups_in, is_food
from terminology.interactions.knowledge import knowledge_base
from terminology.textmatch import tokenise
from terminology.textmatch.fuzzy import SpellingIndex, corrected_texts

_QUANTITY = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(ml|millilitres?|milliliters?|l|litres?|liters?|cups?|glass(?:es)?"
    r"|fl\.?\s*oz|oz|ounces?)\b",
    re.IGNORECASE,
)
_ML_PER_UNIT = {
    **dict.fromkeys(("ml", "millilitre", "millilitres", "milliliter", "milliliters"), 1.0),
    **dict.fromkeys(("l", "litre", "litres", "liter", "liters"), 1000.0),
    **dict.fromkeys(("dl",), 100.0),
    **dict.fromkeys(("cl",), 10.0),
    **dict.fromkeys(("cup", "cups", "[cup_us]"), 240.0),
    **dict.fromkeys(("glass", "glasses"), 250.0),
    **dict.fromkeys(("oz", "ounce", "ounces", "[foz_us]"), 29.57),
}
_ARTICLE = re.compile(r"\b(a|an|one)\s+(cup|glass)\b", re.IGNORECASE)
_STOP_TEXT = (
    "a an the of and with some one two three half glass cup mug bottle can sip ml oz l litre "
    "liter pint small large big plain tap still water ice cold warm hot boiled filtered spoon "
    "tablespoon teaspoon pill tablet capsule dose medicine medication take taken my morning "
    "evening night at in on for or to from free no non without"
)
_STOP_WORDS = frozenset(_STOP_TEXT.split(" "))


@dataclass(frozen=True)
class Reading:
    """What one food text contains, each item with the confidence of its reading."""

    text: str
    allergens: tuple[tuple[AllergenHit, Confidence, str], ...]
    groups: tuple[tuple[FoodEvidence, Confidence, str], ...]
    recognised: bool
    corrected: tuple[str, ...] = ()
    unknown_words: tuple[str, ...] = ()
    """Words of the text that no vocabulary knows and no correction explains."""
    """The text read with its typos corrected (one text per alternative)."""
    correction_note: str = ""


def unit_ml(unit: str) -> float | None:
    """Millilitres in one ``unit`` (mL, L, cup, glass, fl oz, UCUM codes), None otherwise."""
    key = re.sub(r"\s+", " ", unit.strip().lower().replace(".", ""))
    key = key.removeprefix("fl ").removeprefix("fl")
    return _ML_PER_UNIT.get(key)


def volume_in_text(text: str) -> float | None:
    """A volume written in the text ('1.5 L grapefruit juice', 'a glass of ...'), in mL."""
    found = _QUANTITY.search(text)
    if found:
        per_unit = unit_ml(found.group(2))
        if per_unit is not None:
            return float(found.group(1).replace(",", ".")) * per_unit
    article = _ARTICLE.search(text)
    return unit_ml(article.group(2)) if article else None


@cache
def spelling() -> SpellingIndex:
    """Every word the food vocabularies know: allergens, dishes, groups, plain foods."""
    kb = knowledge_base()
    words = set(vocabulary().index.words())
    for index in kb.food_indexes.values():
        words |= index.words()
    for pair in cross_pairs():
        words |= {t.key for food in (*pair.a.foods, *pair.b.foods) for t in tokenise(food)}
    words |= {t.key for word in plain_food_words() for t in tokenise(word)}
    words |= set(_STOP_WORDS)
    return SpellingIndex(sorted(words))


@lru_cache(maxsize=4096)  # meal logs repeat their foods; bounded, texts are client input
def read_food(text: str) -> Reading:
    """Allergens and food groups in ``text``; typo readings added with ``low`` confidence."""
    hits: list[tuple[AllergenHit, Confidence, str]] = [(h, "high", "") for h in allergens_in(text)]
    groups: list[tuple[FoodEvidence, Confidence, str]] = [
        (g, "high", "") for g in food_groups_in(text)
    ]
    corrections = spelling().corrections(text)
    note = "spelling corrected: " + ", ".join(
        f"'{c[0].original}' read as '{'/'.join(x.surface for x in c)}'" for c in corrections
    )
    seen_hits = {h.allergen for h, _, _ in hits}
    seen_groups = {g.group for g, _, _ in groups}
    alternatives = tuple(corrected_texts(text, corrections))
    for corrected in alternatives:
        for hit in allergens_in(corrected):
            if hit.allergen not in seen_hits:
                seen_hits.add(hit.allergen)
                hits.append((hit, "low", note))
        for group in food_groups_in(corrected):
            if group.group not in seen_groups:
                seen_groups.add(group.group)
                groups.append((group, "low", note))
    recognised = _recognised(text, bool(hits), groups)
    corrected_words = {c.original for group in corrections for c in group}
    unknown = tuple(
        text[t.start : t.end]
        for t in tokenise(text)
        if t.key.isalpha()
        and len(t.key) > 2
        and t.key not in spelling()
        and text[t.start : t.end] not in corrected_words
    )
    return Reading(
        text,
        tuple(hits),
        tuple(groups),
        recognised,
        corrected=alternatives,
        unknown_words=unknown,
        correction_note=note,
    )


def _recognised(
    text: str, has_hits: bool, groups: list[tuple[FoodEvidence, Confidence, str]]
) -> bool:
    if has_hits or any(g.group != "any_food" for g, _, _ in groups):
        return True
    if not is_food(text):
        return True  # water, quantities: nothing to recognise
    known = spelling()
    return any(t.key in known and t.key not in _STOP_WORDS for t in tokenise(text))
