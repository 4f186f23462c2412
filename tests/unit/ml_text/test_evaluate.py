"""The evaluation on the labelled meal descriptions, with floors measured on this set."""

from __future__ import annotations

from pathlib import Path

from ml_ops.text.evaluate import Label, evaluate, load_set

SET = Path(__file__).parents[2] / "fixtures" / "meal-descriptions" / "meals.jsonl"
# Measured: precision 0.982, recall 0.954, grams within 25% 0.645 (259 descriptions, 349 foods).
RECALL_FLOOR = 0.94
PRECISION_FLOOR = 0.96
GRAMS_FLOOR = 0.62


def test_the_set_has_at_least_200_labelled_descriptions() -> None:
    rows = load_set(SET)
    assert len(rows) >= 200
    assert all(labels and all(label.grams > 0 for label in labels) for _, labels in rows)


def test_figures_stay_above_their_floors() -> None:
    result = evaluate(load_set(SET))
    assert result.descriptions == len(load_set(SET))
    assert result.recall >= RECALL_FLOOR, result.misses
    assert result.precision >= PRECISION_FLOOR, result.misses
    assert result.grams_within_25 >= GRAMS_FLOOR


def test_misses_are_reported() -> None:
    result = evaluate([("a banana", [Label("apple", 180.0)])])
    assert (result.recall, result.precision) == (0.0, 0.0)
    assert {m.kind for m in result.misses} == {"missed", "extra"}
