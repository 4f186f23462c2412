"""Dietary Reference Intakes by age and sex, and condition targets with their sources."""

from __future__ import annotations

import pytest

from terminology.dri import Target, dri_targets, normalise_conditions, targets_for
from terminology.dri.tables import BANDS, SOURCES, TABLES


def _one(targets: list[Target], nutrient: str, kind: str) -> Target:
    found = [t for t in targets if t.nutrient == nutrient and t.kind == kind]
    assert len(found) == 1, (nutrient, kind, found)
    return found[0]


@pytest.mark.parametrize(
    ("age", "sex", "nutrient", "kind", "low", "high"),
    [
        (35, "female", "iron", "rda", 18, None),
        (35, "male", "iron", "rda", 8, None),
        (60, "female", "iron", "rda", 8, None),
        (16, "female", "iron", "rda", 15, None),
        (45, "male", "potassium", "ai", 3400, None),
        (45, "female", "potassium", "ai", 2600, None),
        (30, "male", "sodium", "ai", 1500, None),
        (30, "male", "sodium", "cdrr", None, 2300),
        (6, "female", "sodium", "cdrr", None, 1500),
        (75, "female", "calcium", "rda", 1200, None),
        (60, "male", "calcium", "rda", 1000, None),
        (60, "female", "calcium", "rda", 1200, None),
        (80, "male", "vitamin_d", "rda", 20, None),
        (40, "male", "vitamin_d", "ul", None, 100),
        (2, "male", "vitamin_d", "ul", None, 63),
        (40, "female", "vitamin_k", "ai", 90, None),
        (40, "male", "vitamin_k", "ai", 120, None),
        (40, "male", "vitamin_c", "rda", 90, None),
        (40, "female", "vitamin_c", "rda", 75, None),
        (25, "male", "fiber", "ai", 38, None),
        (55, "female", "fiber", "ai", 21, None),
        (25, "female", "protein", "rda", 46, None),
        (25, "male", "carbohydrate", "rda", 130, None),
        (2, "female", "fat", "amdr", 30, 40),
        (40, "male", "fat", "amdr", 20, 35),
    ],
)
def test_dri_values_from_the_national_academies_tables(
    age: float, sex: str, nutrient: str, kind: str, low: float | None, high: float | None
) -> None:
    target = _one(dri_targets(age, sex), nutrient, kind)
    assert (target.low, target.high) == (low, high)
    assert target.citation == SOURCES[target.source]


def test_unknown_sex_takes_the_higher_intake_and_the_lower_limit() -> None:
    targets = dri_targets(35, "unknown")
    assert _one(targets, "iron", "rda").low == 18
    assert _one(targets, "potassium", "ai").low == 3400
    assert _one(targets, "sodium", "cdrr").high == 2300


def test_band_edges() -> None:
    assert _one(dri_targets(18.9, "male"), "protein", "rda").low == 52
    assert _one(dri_targets(19, "male"), "protein", "rda").low == 56
    assert _one(dri_targets(70.9, "male"), "vitamin_d", "rda").low == 15
    assert _one(dri_targets(71, "male"), "vitamin_d", "rda").low == 20


def test_no_dri_for_infants() -> None:
    with pytest.raises(ValueError, match="from 1 year"):
        dri_targets(0.5, "female")


def test_every_table_covers_every_band_and_cites_a_source() -> None:
    for table in TABLES:
        assert len(table.male) == len(table.female) == len(BANDS)
        assert table.source in SOURCES


def test_hypertension_replaces_sodium_limit_and_adds_potassium_goal() -> None:
    targets = targets_for(50, "female", ["I10"])
    sodium_limits = [t for t in targets if t.nutrient == "sodium" and t.high is not None]
    assert [(t.high, t.source, t.condition) for t in sodium_limits] == [
        (1500, "aha-2017", "hypertension")
    ]
    potassium = _one(targets, "potassium", "goal")
    assert (potassium.low, potassium.high) == (3500, 5000)
    assert not [t for t in targets if t.nutrient == "potassium" and t.kind == "ai"]


def test_type2_diabetes_carbohydrate_guidance_fibre_and_sodium() -> None:
    targets = targets_for(60, "male", ["E11.9"])
    carbs = _one(targets, "carbohydrate", "individualised")
    assert carbs.source == "ada-2025"
    assert "glycaemia" in carbs.note
    assert _one(targets, "fiber", "goal").unit == "g/(1000.kcal)"
    assert _one(targets, "sodium", "limit").high == 2300
    assert _one(targets, "carbohydrate", "amdr").source == "iom-2005"


def test_ckd_restricts_potassium_and_overrides_the_hypertension_goal() -> None:
    targets = targets_for(55, "male", ["I10", "N18.3"])
    potassium = [t for t in targets if t.nutrient == "potassium"]
    assert [(t.kind, t.high, t.source) for t in potassium] == [("limit", 3000, "kdoqi-2020")]
    assert _one(targets, "sodium", "limit").high == 1500


def test_hypertensive_ckd_code_brings_kidney_targets() -> None:
    assert normalise_conditions(["I12.9"]) == {"hypertension", "ckd"}
    assert normalise_conditions(["type 2 diabetes", "Z00.0"]) == {"type2_diabetes"}


def test_condition_targets_are_for_adults() -> None:
    targets = targets_for(12, "female", ["I10"])
    assert all(t.condition is None for t in targets)


def test_every_condition_target_cites_its_guideline() -> None:
    targets = targets_for(60, "female", ["I10", "E11", "N18"])
    conditional = [t for t in targets if t.condition]
    assert {t.source for t in conditional} == {"aha-2017", "ada-2025", "kdoqi-2020"}
    assert all(t.citation == SOURCES[t.source] for t in conditional)
