"""The pure parts of the report: periods, nutrient reading, targets, trends, data quality."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from operations.base import OperationContext
from operations.clinical_report import _asynchronous
from operations.report import intake
from operations.report.content import allergies
from operations.report.gather import Period, Record, resolve_period
from operations.report.nutrients import in_unit, intake_nutrients, nutrient_key
from resources.errors import Invalid
from tests.integration.report.world import oats_per_100g

TODAY = date(2026, 3, 31)


def test_named_periods_end_today_and_count_their_days() -> None:
    for name, days in (("7_days", 7), ("30_days", 30), ("90_days", 90)):
        period = resolve_period(name, None, None, TODAY)
        assert period.end == TODAY
        assert len(period.days) == days


def test_start_and_end_win_over_period() -> None:
    period = resolve_period("7_days", "2026-01-01", "2026-01-10", TODAY)
    assert (period.start, period.end, len(period.days)) == (date(2026, 1, 1), date(2026, 1, 10), 10)


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [("1_day", None, None), (None, "2026-02-30", None), (None, "2026-02-02", "2026-02-01")],
)
def test_bad_periods_are_invalid(period: str | None, start: str | None, end: str | None) -> None:
    with pytest.raises(Invalid):
        resolve_period(period, start, end, TODAY)


def test_nutrients_are_found_by_code_or_label_text() -> None:
    assert nutrient_key({"text": "Fat (Total)"}) == "fat"
    assert nutrient_key({"text": "Total Calories"}) == "energy"
    assert nutrient_key({"coding": [{"system": "x", "display": "Sodium"}]}) == "sodium"
    assert nutrient_key({"text": "Unobtainium"}) is None


def test_units_are_converted_to_the_reported_unit() -> None:
    assert in_unit({"value": 1.2, "code": "g"}, "sodium") == pytest.approx(1200)
    assert in_unit({"value": 770, "unit": "Milligrams"}, "sodium") == 770
    assert in_unit({"value": 5, "code": "kcal"}, "protein") is None
    assert in_unit({"value": 400, "code": "[iU]"}, "vitamin_d") == pytest.approx(10)  # 40 IU/ug


def test_an_item_with_only_a_food_code_and_grams_is_computed_from_the_food_base() -> None:
    item = {
        "nutritionProduct": {
            "concept": {
                "coding": [
                    {
                        "system": "https://nutrivision.example.org/fhir/sid/usda-sr24-ndb",
                        "code": "08121",
                    }
                ]
            }
        },
        "amount": {"value": 50, "code": "g"},
    }
    values, computed = intake_nutrients({"consumedItem": [item]})
    assert computed
    assert values["energy"] == pytest.approx(oats_per_100g("energy") / 2)
    assert values["sodium"] == pytest.approx(oats_per_100g("sodium") / 2)


def test_label_amounts_win_over_computation() -> None:
    label = {"nutrient": {"concept": {"text": "Sodium"}}, "amount": {"value": 770, "code": "mg"}}
    values, computed = intake_nutrients({"ingredientLabel": [label], "consumedItem": []})
    assert (values, computed) == ({"sodium": 770}, False)


def test_targets_add_condition_targets_to_the_reference_intakes() -> None:
    patient = {"gender": "female", "birthDate": "1960-06-01"}
    found = intake.targets(patient, ["I10"], TODAY)
    sodium = {(t["kind"], t["value"]) for t in found["sodium"]}
    assert ("condition", 1500) in sodium
    assert found["protein"][0]["value"] == 46  # RDA, adult woman
    assert all(t["source"] for rows in found.values() for t in rows)
    assert any("hypertension" in t["basis"] for t in found["sodium"])
    assert {"CDRR"} & {t["kind"] for t in found["sodium"]} == set()  # replaced by the condition
    assert found["vitamin_d"][0]["value"] == 15  # RDA, 51-70 years, in ug


def test_assessment_compares_the_mean_with_the_target() -> None:
    upper = {"comparator": "<=", "value": 1500, "unit": "mg/d"}
    assert intake.assess(upper, {"sodium": 1400}, "sodium") == "met"
    assert intake.assess(upper, {"sodium": 1600}, "sodium") == "not met"
    per_energy = {"comparator": ">=", "value": 14, "unit": "g/(1000.kcal)"}
    assert intake.assess(per_energy, {"fiber": 28, "energy": 2000}, "fiber") == "met"
    assert intake.assess(per_energy, {"fiber": 20, "energy": 2000}, "fiber") == "not met"


def test_moving_average_skips_days_without_data() -> None:
    values: list[float | None] = [None, 2.0, 4.0, None, 6.0, 8.0, 10.0, 12.0, 14.0]
    moving = intake.moving_average(values, window=3)
    assert moving == [None, 2.0, 3.0, 3.0, 5.0, 7.0, 8.0, 10.0, 12.0]


def test_data_quality_counts_gaps_sources_and_verification() -> None:
    period = Period(date(2026, 1, 1), date(2026, 1, 4))
    logs: list[dict[str, Any]] = [
        {
            "id": "a",
            "occurrenceDateTime": "2026-01-01T08:00:00Z",
            "extension": [
                {"url": intake.SOURCE_URL, "valueCode": "image"},
                {"url": intake.VERIFIED_URL, "valueBoolean": True},
            ],
        },
        {
            "id": "b",
            "occurrenceDateTime": "2026-01-03T08:00:00Z",
            "extension": [{"url": intake.SOURCE_URL, "valueCode": "voice"}],
        },
    ]
    days = intake.daily(logs, period)
    quality = intake.quality(logs, days)
    assert quality["days_without_logs"] == 2
    assert quality["by_source"]["image"] == 50.0
    assert quality["verified"] == 50.0


def test_refuted_allergies_are_left_out_and_unknown_status_kept() -> None:
    refuted = {"coding": [{"code": "refuted"}]}
    record = Record(
        {"resourceType": "Patient", "id": "p"},
        {
            "AllergyIntolerance": [
                {"resourceType": "AllergyIntolerance", "id": "a", "code": {"text": "Peanut"}},
                {
                    "resourceType": "AllergyIntolerance",
                    "id": "b",
                    "code": {"text": "Egg"},
                    "verificationStatus": refuted,
                },
            ]
        },
    )
    assert [a["substance"] for a in allergies(record)] == ["Peanut"]


def test_a_record_over_the_configured_size_goes_to_a_job() -> None:
    record = Record({"id": "p"}, {"NutritionIntake": [{"id": "1"}, {"id": "2"}]})
    store: Any = None  # not read: the decision looks at the record already gathered
    small = OperationContext(store, "http://x", "GET", services={"report_async_intakes": 1})
    large = OperationContext(store, "http://x", "GET", services={"report_async_intakes": 2})
    asked = OperationContext(store, "http://x", "GET", headers={"prefer": "respond-async"})
    assert _asynchronous(small, record)
    assert not _asynchronous(large, record)
    assert _asynchronous(asked, record)
