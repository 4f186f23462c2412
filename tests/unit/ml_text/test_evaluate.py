"""The evaluation on the labelled meal descriptions, with floors measured on this set."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from fhir_server.cli import app
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


def test_the_command_prints_the_figures(tmp_path: Path) -> None:
    labelled = tmp_path / "two.jsonl"
    labelled.write_text(
        '{"text": "a banana", "foods": [{"name": "banana", "grams": 118}]}\n'
        '{"text": "a cup of black coffee", "foods": [{"name": "apple", "grams": 180}]}\n'
    )
    result = CliRunner().invoke(app, ["ml", "evaluate-text", "--data", str(labelled), "--misses"])
    assert result.exit_code == 0, result.output
    assert "2 descriptions, 2 labelled foods: precision 0.500, recall 0.500" in result.output
    assert "missed: 'apple'" in result.output
    missing = CliRunner().invoke(app, ["ml", "evaluate-text", "--data", str(tmp_path / "none")])
    assert missing.exit_code == 2
