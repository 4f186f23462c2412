"""The shipped food composition data (USDA SR24, see ``build``) and name search.

Foods carry nutrients per 100 g and household measures with gram weights; ``search`` ranks
foods whose SR24 name has the words of the query (everyday phrases from ``data/aliases.json``
first). Loaded once, on first use.
"""

from __future__ import annotations

import bisect
import functools
import gzip
import itertools
import json
import re
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

DATA_FILE = "usda-sr24-foods.json.gz"
ALIASES_FILE = "aliases.json"
_WORD = re.compile(r"[a-z0-9%]+")


@dataclass(frozen=True, slots=True)
class Measure:
    """A household measure: ``amount`` of ``label`` weighs ``grams``."""

    amount: float
    label: str
    grams: float

    @property
    def grams_each(self) -> float:
        """The weight of one unit of the measure."""
        return self.grams / self.amount if self.amount else self.grams


@dataclass(frozen=True)
class Food:
    """One SR24 food."""

    ndb: str
    name: str
    per_100g: dict[str, float | None]
    measures: tuple[Measure, ...]

    def measure(self, word: str) -> Measure | None:
        """The first measure whose label starts with ``word`` (``slice``, ``cup``, ``large``)."""
        for measure in self.measures:
            if measure.label.lower().startswith(word):
                return measure
        return None


@dataclass(frozen=True)
class Alias:
    """An everyday phrase for a food, and the measure one serving of it usually is."""

    ndb: str
    measure: str
    note: str | None


def words(text: str) -> list[str]:
    """Lowercase words, a plural ``s`` dropped (eggs -> egg, slices -> slice)."""
    found = _WORD.findall(text.lower())
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in found]


class FoodDatabase:
    """Foods by NDB number, aliases by phrase, and ranked name search."""

    def __init__(self, data: dict[str, Any], aliases: dict[str, Any]) -> None:
        self.source: str = data["source"]
        self.nutrients: list[tuple[str, str, str]] = [
            (key, name, unit) for key, name, unit in data["nutrients"]
        ]
        keys = [key for key, _, _ in self.nutrients]
        self.foods: dict[str, Food] = {}
        for ndb, name, values, measures in data["foods"]:
            self.foods[ndb] = Food(
                ndb, name, dict(zip(keys, values, strict=True)),
                tuple(Measure(*m) for m in measures),
            )  # fmt: skip
        self.aliases: dict[str, Alias] = {}
        for entry in aliases["aliases"]:
            for term in entry["terms"]:
                key = " ".join(words(term))
                self.aliases[key] = Alias(entry["ndb"], entry["measure"], entry.get("note"))
        self._first: dict[str, str] = {}
        self._by_word: dict[str, set[str]] = {}
        for ndb, food in self.foods.items():
            name_words = words(food.name)
            self._first[ndb] = name_words[0] if name_words else ""
            for word in name_words:
                self._by_word.setdefault(word, set()).add(ndb)
        self._vocabulary = sorted(self._by_word)

    def unit(self, key: str) -> str:
        """The UCUM unit of a nutrient key (per 100 g)."""
        return next(unit for k, _, unit in self.nutrients if k == key)

    def alias(self, phrase: str) -> Alias | None:
        """The alias for exactly this phrase (after normalisation)."""
        return self.aliases.get(" ".join(words(phrase)))

    def search(self, text: str, limit: int = 10) -> list[Food]:
        """Foods for ``text``: its alias first, then foods where every word of ``text`` starts
        a word of the name; generic foods before brands (SR24 writes brands in capitals),
        names starting with the query's food word first, then the shortest (plainest)."""
        wanted = words(text)
        if not wanted:
            return []
        alias = self.alias(text)
        ranked: list[Food] = [self.foods[alias.ndb]] if alias else []
        if len(ranked) >= limit:
            return ranked
        hits = set.intersection(*(self._starting(word) for word in wanted))
        ordered = sorted(hits, key=lambda ndb: self._rank(ndb, wanted))
        ranked.extend(self.foods[ndb] for ndb in ordered if not alias or ndb != alias.ndb)
        return ranked[:limit]

    def _starting(self, prefix: str) -> set[str]:
        """The foods with a name word that starts with ``prefix``."""
        found: set[str] = set()
        start = bisect.bisect_left(self._vocabulary, prefix)
        for word in itertools.islice(self._vocabulary, start, None):
            if not word.startswith(prefix):
                break
            found |= self._by_word[word]
        return found

    def _rank(self, ndb: str, wanted: list[str]) -> tuple[bool, bool, int]:
        name = self.foods[ndb].name
        branded = any(w.isupper() and len(w) > 2 for w in name.replace(",", " ").split())
        first = self._first[ndb]
        return branded, not any(first.startswith(w) for w in wanted), len(name)


def _read(name: str) -> bytes:
    return files("terminology.foods").joinpath("data", name).read_bytes()


@functools.cache
def food_database() -> FoodDatabase:
    """The shipped database (7,907 foods)."""
    data = json.loads(gzip.decompress(_read(DATA_FILE)))
    return FoodDatabase(data, json.loads(_read(ALIASES_FILE)))
