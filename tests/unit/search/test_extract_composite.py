"""Composite extraction (components relative to each root) and ``extract_all``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from resources.search.extract import extract_all
from resources.search.values import CompositeValue, QuantityValue, TokenValue
from tests.unit.search.helpers import values_of

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
D = Decimal


def _component(code: str, value: int) -> dict[str, Any]:
    quantity = {"value": value, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}
    return {"code": {"coding": [{"system": LOINC, "code": code}]}, "valueQuantity": quantity}


BLOOD_PRESSURE: dict[str, Any] = {
    "resourceType": "Observation",
    "id": "bp",
    "status": "final",
    "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
    "subject": {"reference": "Patient/p"},
    "component": [_component("8480-6", 107), _component("8462-4", 60)],
}


def _mmhg(value: int) -> QuantityValue:
    return QuantityValue(D(value) - D("0.5"), D(value) + D("0.5"), D(value), UCUM, "mm[Hg]", "mmHg")


def test_component_composite_pairs_each_code_with_its_own_value() -> None:
    assert values_of(BLOOD_PRESSURE, "component-code-value-quantity") == [
        CompositeValue((TokenValue(LOINC, "8480-6"), _mmhg(107))),
        CompositeValue((TokenValue(LOINC, "8462-4"), _mmhg(60))),
    ]


def test_composite_without_a_value_gives_nothing() -> None:
    assert values_of(BLOOD_PRESSURE, "code-value-quantity") == []


def test_root_composite() -> None:
    weight = {
        **BLOOD_PRESSURE,
        "component": [],
        "valueQuantity": {"value": 70, "system": UCUM, "code": "kg"},
    }
    assert values_of(weight, "code-value-quantity") == [
        CompositeValue(
            (
                TokenValue(LOINC, "85354-9"),
                QuantityValue(D("69.5"), D("70.5"), D("70"), UCUM, "kg", None),
            )
        )
    ]


def test_extract_all_keys_are_the_parameters_with_values() -> None:
    found = extract_all(BLOOD_PRESSURE)
    assert set(found) == {
        "_id",
        "_content",
        "status",
        "code",
        "combo-code",
        "component-code",
        "subject",
        "patient",
        "combo-value-quantity",
        "component-value-quantity",
        "combo-code-value-quantity",
        "component-code-value-quantity",
    }
    assert found["combo-code"] == [
        TokenValue(LOINC, "85354-9"),
        TokenValue(LOINC, "8480-6"),
        TokenValue(LOINC, "8462-4"),
    ]
    assert found["combo-value-quantity"] == [_mmhg(107), _mmhg(60)]


def test_values_are_distinct() -> None:
    same_twice = {**BLOOD_PRESSURE, "component": [_component("8480-6", 107)] * 2}
    assert values_of(same_twice, "component-value-quantity") == [_mmhg(107)]
