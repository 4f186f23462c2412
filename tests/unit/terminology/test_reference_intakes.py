"""Daily Reference Intakes by age and sex, and condition targets through ICD-10-CM."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from terminology.foods import food_database
from terminology.foods.intakes import (
    IntakeData,
    condition_targets,
    intake_data,
    reference_intakes,
)
from terminology.ucum import is_valid


@pytest.mark.parametrize(
    ("sex", "age", "nutrient", "kind", "value"),
    [
        ("female", 55, "calcium", "RDA", 1200),
        ("female", 45, "calcium", "RDA", 1000),
        ("male", 70, "calcium", "RDA", 1000),
        ("male", 71, "calcium", "RDA", 1200),
        ("male", 30, "magnesium", "RDA", 400),
        ("male", 31, "magnesium", "RDA", 420),
        ("female", 45, "iron", "RDA", 18),
        ("female", 51, "iron", "RDA", 8),
        ("female", 30, "potassium", "AI", 2600),
        ("male", 30, "potassium", "AI", 3400),
        ("male", 40, "sodium", "CDRR", 2300),
        ("female", 80, "vitamin-d", "RDA", 800),
        ("male", 25, "fiber", "AI", 38),
        ("female", 60, "fiber", "AI", 21),
    ],
)
def test_reference_intakes(sex: Any, age: int, nutrient: str, kind: str, value: float) -> None:
    assert reference_intakes(sex, age)[(nutrient, kind)][0] == value


def test_children_have_no_adult_values() -> None:
    assert reference_intakes("female", 12) == {}


def test_units_are_ucum_and_nutrients_are_food_nutrients() -> None:
    keys = {key for key, _, _ in food_database().nutrients}
    data = intake_data()
    for intake in data.reference_intakes:
        assert is_valid(intake.unit), intake.unit
        assert intake.nutrient in keys
    for target in data.condition_targets:
        assert is_valid(target.unit), target.unit
        assert target.nutrient in keys
        assert data.sources[target.source].citation


def _targets(*codes: str) -> set[tuple[str, str]]:
    return {(t.condition, t.nutrient) for t in condition_targets(codes)}


def test_condition_targets_follow_the_icd10cm_hierarchy() -> None:
    assert _targets("E11.9") == {
        ("diabetes", "carbohydrate"),
        ("diabetes", "fiber"),
        ("diabetes", "sodium"),
    }
    assert ("hypertension", "sodium") in _targets("I10")
    assert ("hypertension", "potassium") in _targets("I10")
    assert _targets("J45.909", "not-a-code") == set()


def test_kidney_disease_withdraws_the_hypertension_potassium_goal() -> None:
    found = _targets("I10", "N18.3")
    assert ("hypertension", "potassium") not in found
    assert ("chronic kidney disease", "potassium") in found
    assert ("hypertension", "sodium") in found


def test_the_file_is_checked() -> None:
    raw = json.loads(intake_data().model_dump_json())
    raw["condition_targets"][0]["source"] = "nowhere"
    with pytest.raises(ValidationError):
        IntakeData.model_validate(raw)
    raw = json.loads(intake_data().model_dump_json())
    raw["condition_targets"][1]["high"] = None
    with pytest.raises(ValidationError):
        IntakeData.model_validate(raw)
    raw = json.loads(intake_data().model_dump_json())
    raw["condition_targets"][0]["icd10cm"] = "Q99.999"
    with pytest.raises(ValidationError):
        IntakeData.model_validate(raw)
