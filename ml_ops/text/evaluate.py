"""Food identification and portion accuracy of the text pipeline on a labelled set.

Each line of the set is ``{"text": ..., "foods": [{"name", "food"?, "grams"}]}``. A labelled
food is found when a recognised item is that food: the same food id when the label gives one,
otherwise the item's food name contains the label's head word (its last food word after the
diary synonyms: "whole wheat toast" -> bread) and at least half of the label's food words.
Labels and items are paired in order, one to one; a label left over may still pair with an
item already paired when that item is a dish naming it too ("chicken curry with rice" for the
labels chicken curry and rice: both foods were identified). Precision is paired items over
recognised items, recall paired labels over labels, and grams-within-25% the share of one to
one pairs whose grams are within 25% of the labelled grams (a dish's grams are not compared
with one of its parts).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml_ops.text.match import Matcher
from ml_ops.text.pipeline import TextItem, analyse_text, default_matcher
from terminology.foods.search import parse_query

GRAMS_TOLERANCE = 0.25


@dataclass(frozen=True)
class Label:
    """A food a description names, as labelled."""

    name: str
    grams: float
    food: str | None = None


@dataclass(frozen=True)
class Miss:
    """A labelled food not found, or a recognised food no label asked for."""

    text: str
    kind: str
    """``missed`` (a label not found) or ``extra`` (an item that pairs with no label)."""
    name: str


@dataclass
class Evaluation:
    """The figures and every miss."""

    descriptions: int = 0
    labels: int = 0
    items: int = 0
    paired_items: int = 0
    paired_labels: int = 0
    weighed: int = 0
    grams_within: int = 0
    misses: list[Miss] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Paired items over recognised items."""
        return self.paired_items / self.items if self.items else 0.0

    @property
    def recall(self) -> float:
        """Paired labels over labels."""
        return self.paired_labels / self.labels if self.labels else 0.0

    @property
    def grams_within_25(self) -> float:
        """Share of one to one pairs whose grams are within 25% of the label."""
        return self.grams_within / self.weighed if self.weighed else 0.0


def load_set(path: Path) -> list[tuple[str, list[Label]]]:
    """The descriptions and labels of a JSON-lines file."""
    out: list[tuple[str, list[Label]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row: dict[str, Any] = json.loads(line)
            labels = [Label(f["name"], float(f["grams"]), f.get("food")) for f in row["foods"]]
            out.append((str(row["text"]), labels))
    return out


def is_same_food(label: Label, item: TextItem) -> bool:
    """True when ``item`` is the labelled food (see the module docstring)."""
    food = item.recognition.food
    if label.food:
        return food.id == label.food
    words = parse_query(label.name).words
    if not words:
        return False
    name = set(food.words)
    found = sum(1 for w in words if w in name)
    return words[-1] in name and found * 2 >= len(words)


def evaluate(rows: Iterable[tuple[str, list[Label]]], matcher: Matcher | None = None) -> Evaluation:
    """Run the pipeline on every description and compare with its labels."""
    matcher = matcher or default_matcher()
    return score((text, labels, analyse_text(text, matcher=matcher).items) for text, labels in rows)


def score(rows: Iterable[tuple[str, list[Label], Iterable[TextItem]]]) -> Evaluation:
    """Compare the items recognised in each description with its labels."""
    result = Evaluation()
    for text, labels, found in rows:
        items = list(found)
        result.descriptions += 1
        result.labels += len(labels)
        result.items += len(items)
        _pair(text, labels, items, result)
    return result


def _pair(text: str, labels: list[Label], items: list[TextItem], result: Evaluation) -> None:
    free = list(items)
    left: list[Label] = []
    for label in labels:
        item = next((i for i in free if is_same_food(label, i)), None)
        if item is None:
            left.append(label)
            continue
        free.remove(item)
        result.paired_labels += 1
        result.weighed += 1
        grams = item.recognition.portion.grams
        if abs(grams - label.grams) <= GRAMS_TOLERANCE * label.grams:
            result.grams_within += 1
    used = [i for i in items if i not in free]
    for label in left:
        if any(is_same_food(label, i) for i in used):
            result.paired_labels += 1  # a dish that names this food as well
        else:
            result.misses.append(Miss(text, "missed", label.name))
    result.paired_items += len(used)
    result.misses += [Miss(text, "extra", i.recognition.food.name) for i in free]
