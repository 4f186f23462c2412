"""The pharmacist review workflow: CSV export, edit, import with row/column errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from terminology.interactions.knowledge import knowledge_base
from terminology.interactions.loader import load_data
from terminology.interactions.models import RuleFile
from terminology.interactions.review_csv import (
    COLUMNS,
    RuleCsvError,
    export_rules_csv,
    import_rules_csv,
    save_rules_json,
)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def _problems(path: Path) -> list[tuple[int, str]]:
    with pytest.raises(RuleCsvError) as caught:
        import_rules_csv(path)
    return [(problem.row, problem.column) for problem in caught.value.problems]


def test_export_then_import_round_trips_every_rule(tmp_path: Path) -> None:
    path = tmp_path / "rules.csv"
    count = export_rules_csv(path)
    assert count == len(knowledge_base().rules)
    assert import_rules_csv(path) == list(knowledge_base().rules)


def test_a_reviewed_edit_survives_the_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "rules.csv"
    export_rules_csv(path)
    rows = _read(path)
    rows[0].update(review_status="reviewed", reviewer="A. Pharmacist", review_date="2025-03-01")
    rows[1]["severity"] = "major"
    _write(path, rows)
    rules = import_rules_csv(path)
    assert rules[0].review.status == "reviewed"
    assert rules[0].review.reviewer == "A. Pharmacist"
    assert rules[0].review.review_date is not None
    assert rules[0].review.review_date.isoformat() == "2025-03-01"
    assert rules[1].severity == "major"
    assert rules[0].citations == knowledge_base().rules[0].citations


def test_saved_json_loads_as_the_shipped_format(tmp_path: Path) -> None:
    csv_path, json_path = tmp_path / "rules.csv", tmp_path / "rules.json"
    export_rules_csv(csv_path)
    save_rules_json(import_rules_csv(csv_path), json_path, "test")
    saved = RuleFile.model_validate_json(json_path.read_text(encoding="utf-8"))
    assert saved.rules == load_data("rules.json", RuleFile).rules


def test_bad_cells_are_reported_by_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "rules.csv"
    export_rules_csv(path)
    rows = _read(path)
    rows[0]["severity"] = "severe"
    rows[1]["citations"] = ""
    rows[2]["food_groups"] = "grapefruit; moon_cheese"
    rows[3].update(review_status="reviewed", reviewer="")
    rows[4]["review_date"] = "31/02/2025"
    rows[5]["drug_ingredients"] = "unobtainium"
    rows[6]["drug_classes"] = "wizards"
    rows[7]["id"] = rows[8]["id"]
    _write(path, rows)
    assert _problems(path) == [
        (2, "severity"),
        (3, "citations"),
        (4, "food_groups"),
        (5, "reviewer"),
        (6, "review_date"),
        (7, "drug_ingredients"),
        (8, "drug_classes"),
        (10, "id"),
    ]


def test_a_rule_without_drugs_points_at_the_drug_column(tmp_path: Path) -> None:
    path = tmp_path / "rules.csv"
    export_rules_csv(path)
    rows = _read(path)[:1]
    rows[0].update(drug_ingredients="", drug_classes="")
    _write(path, rows)
    assert _problems(path) == [(2, "drug_ingredients")]


def test_missing_and_unknown_columns_are_reported_on_the_header(tmp_path: Path) -> None:
    path = tmp_path / "rules.csv"
    columns = (*tuple(c for c in COLUMNS if c != "severity"), "colour")
    _write(path, [], columns)
    assert _problems(path) == [(1, "severity"), (1, "colour")]


def test_surplus_cells_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "rules.csv"
    export_rules_csv(path)
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = text[0]
    path.write_text(header + "a," * (len(COLUMNS) + 1) + "\n", encoding="utf-8")
    assert _problems(path) == [(2, "")]


def test_the_error_message_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "rules.csv"
    export_rules_csv(path)
    rows = _read(path)[:1]
    rows[0]["severity"] = "severe"
    _write(path, rows)
    with pytest.raises(RuleCsvError, match=r"row 2, column severity: Input should be"):
        import_rules_csv(path)


def test_a_spreadsheet_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "rules.csv"
    export_rules_csv(path, knowledge_base().rules[:2])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(import_rules_csv(path)) == 2
