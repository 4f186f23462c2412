"""Food search by name: synonyms, typo tolerance and ranking of the ordinary food first.

A query is tokenised like the food names (``textmatch``), diary words are rewritten into USDA
words, preparation words are set apart, and an unknown word is corrected to a known word one
edit away (deletion neighbourhoods, as in SymSpell). Candidates contain the head word (the last
food word: "chicken breast" is a breast); the score rewards matched words, the head word in
the name's first segment (so "egg" finds eggs, not "Noodles, egg"), the asked preparation and
short, generic names, and penalises baby foods, powders, restaurant items and the like.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace

from terminology.foods.database import Food, FoodDatabase
from terminology.foods.vocabulary import (
    GENERIC_WORDS,
    NEUTRAL_WORDS,
    ODD_CATEGORIES,
    ODD_WORDS,
    PREPARATIONS,
    STOPWORDS,
    SYNONYMS,
    USUAL_PREPARATION,
)
from terminology.textmatch import normalise_term

# Keys without stop words, as the query's words are matched ("mac and cheese" -> mac cheese).
_SYNONYMS = {
    tuple(w for w in normalise_term(k) if w not in STOPWORDS): normalise_term(v)
    for k, v in SYNONYMS.items()
}
_PREPARATIONS = {normalise_term(k): v for k, v in PREPARATIONS.items()}
_LONGEST = max(len(k) for k in (*_SYNONYMS, *_PREPARATIONS))
SOURCE_BONUS = {"sr24": 1.0, "fndds": 0.5, "foundation": 0.3, "sr_legacy": 0.2}


@dataclass(frozen=True)
class Query:
    """A name query taken apart: food words (head word last) and preparation words."""

    words: tuple[str, ...]
    preparations: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class FoodMatch:
    """A food found for a query, with its score (higher is better) and coverage.

    ``coverage`` (0-1) is the share of the query's food words (weighted by rarity) found in the
    food's name, after synonyms and typo correction: below 1 means a partial match ("caesar
    salad" matching a caesar dressing), which a caller may report as uncertain.
    """

    food: Food
    score: float
    coverage: float = 1.0


@dataclass(frozen=True)
class _Entry:
    words: frozenset[str]
    head: frozenset[str]
    # Words that can count against a match (neutral words removed), and the part of the
    # score that does not depend on the query: computed once, at start-up.
    countable: frozenset[str]
    fixed: float
    noun: str
    """The last word of the name's first segment: "Salad dressing" is a dressing."""


def parse_query(text: str) -> Query:
    """Split ``text`` into USDA food words and preparation words, applying the synonyms."""
    keys = [k for k in normalise_term(text) if k not in STOPWORDS]
    words: list[str] = []
    preparations: list[tuple[str, ...]] = []
    position = 0
    while position < len(keys):
        for length in range(min(_LONGEST, len(keys) - position), 0, -1):
            phrase = tuple(keys[position : position + length])
            if phrase in _PREPARATIONS:
                preparations.append(_PREPARATIONS[phrase])
                break
            if phrase in _SYNONYMS:
                _add_rewritten(_SYNONYMS[phrase], words, preparations)
                break
        else:
            length = 1
            words.append(keys[position])
        position += length
    return Query(tuple(words), tuple(preparations))


def _add_rewritten(
    keys: tuple[str, ...], words: list[str], preparations: list[tuple[str, ...]]
) -> None:
    for key in keys:
        prepared = _PREPARATIONS.get((key,))
        if prepared is not None:
            preparations.append(prepared)
        else:
            words.append(key)


class FoodIndex:
    """An inverted index over food names with a deletion index for typo correction."""

    def __init__(self, database: FoodDatabase) -> None:
        self.database = database
        self._postings: dict[str, set[int]] = defaultdict(set)
        self._entries: dict[int, _Entry] = {}
        for food in database.foods:
            self._add(food)
        self._idf = {
            word: math.log(1 + len(self._entries) / len(rows))
            for word, rows in self._postings.items()
        }
        self._deletion_index: dict[str, list[str]] | None = None

    def _add(self, food: Food) -> None:
        words, head = frozenset(food.words), frozenset(food.head)
        # A name segment that is only "skin" names the skin itself (potato skins), not the food.
        part_only = any(s.strip().lower() == "skin" for s in food.name.split(","))
        odd = food.name.isupper() or food.category in ODD_CATEGORIES or part_only
        fixed = SOURCE_BONUS.get(food.source, 0.0) - (3.0 if odd else 0.0)
        noun = food.head[-1] if food.head else ""
        self._entries[food.row] = _Entry(words, head, words - NEUTRAL_WORDS, fixed, noun)
        for word in words:
            self._postings[word].add(food.row)

    def correct(self, word: str) -> str | None:
        """``word`` if known, else the most frequent known word one edit away, else None."""
        if word in self._postings:
            return word
        deletions = self._deletions()
        found: set[str] = set(deletions.get(word, ()))
        for variant in _deletions(word):
            found.update(deletions.get(variant, ()))
            if variant in self._postings:
                found.add(variant)
        if not found:
            return None
        return max(sorted(found), key=lambda w: len(self._postings[w]))

    def _deletions(self) -> dict[str, list[str]]:
        # Built on the first unknown word: most lookups never need it, start-up stays short.
        if self._deletion_index is None:
            index: dict[str, list[str]] = defaultdict(list)
            for word in self._postings:
                for variant in _deletions(word):
                    index[variant].append(word)
            self._deletion_index = index
        return self._deletion_index

    def search(self, text: str, limit: int = 10) -> list[FoodMatch]:
        """Foods for ``text``, best first (empty when no food word is recognised)."""
        query = parse_query(text)
        words = [w for w in (self.correct(word) for word in query.words) if w is not None]
        if not words:
            return []
        preparations = query.preparations or _usual_preparation(words)
        scored = [
            FoodMatch(self.database.by_row[row], self._score(row, words, preparations))
            for row in self._candidates(words)
        ]
        scored.sort(key=lambda m: (-m.score, len(m.food.name), m.food.row))
        known = len(words) / len(query.words)
        return [
            replace(m, coverage=self.coverage(m.food.row, words) * known) for m in scored[:limit]
        ]

    def coverage(self, row: int, words: list[str]) -> float:
        """Share of ``words`` (IDF-weighted) in the name of food ``row``."""
        wanted = set(words)
        found = sum(self._idf[w] for w in wanted if w in self._entries[row].words)
        return found / sum(self._idf[w] for w in wanted)

    def _candidates(self, words: list[str]) -> set[int]:
        everything = set.intersection(*(self._postings[w] for w in words))
        return everything or set(self._postings[words[-1]])

    def _score(
        self, row: int, words: list[str], preparations: tuple[tuple[str, ...], ...]
    ) -> float:
        entry = self._entries[row]
        wanted = set(words)
        matched = sum(self._idf[w] for w in wanted if w in entry.words)
        score = 10.0 * matched / sum(self._idf[w] for w in wanted)
        score += 3.0 if words[-1] in entry.head or entry.head <= wanted else -4.0
        score += 1.5 if entry.head <= wanted else 0.0
        if entry.noun != words[-1] and entry.noun in ODD_WORDS and entry.noun not in wanted:
            score -= 3.0  # "caesar salad" is not a "Salad dressing, caesar"
        for alternatives in preparations:
            score += _preparation_bonus(alternatives, entry.words)
        extra = entry.countable - wanted
        if preparations:
            extra = extra - {a for p in preparations for a in p}
        score -= 0.5 * len(extra)
        score += 0.6 * len(extra & GENERIC_WORDS)
        score -= 2.0 * len(extra & ODD_WORDS)
        if "fried" in extra:
            score -= 1.0  # frying adds fat: never the default when the diary does not say so
        return score + entry.fixed


def _usual_preparation(words: list[str]) -> tuple[tuple[str, ...], ...]:
    usual = USUAL_PREPARATION.get(words[-1]) or USUAL_PREPARATION.get(words[0])
    return ((usual,),) if usual else ()


def _preparation_bonus(alternatives: tuple[str, ...], words: frozenset[str]) -> float:
    for rank, word in enumerate(alternatives):
        if word in words:
            return 3.0 - 0.5 * rank
    return -1.0


def _deletions(word: str) -> list[str]:
    if len(word) < 4:
        return []
    return [word[:i] + word[i + 1 :] for i in range(len(word))]
