"""Number and quantity extraction: precision ranges and units, computed by hand."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from resources.search.fhirpath import Node
from resources.search.numbers import CURRENCY_SYSTEM, precision_range, quantity_values
from resources.search.values import NumberValue, QuantityValue
from tests.unit.search.helpers import values_of

UCUM = "http://unitsofmeasure.org"
D = Decimal


@pytest.mark.parametrize(
    ("number", "low", "high"),
    [
        ("100", "99.5", "100.5"),
        ("100.0", "99.95", "100.05"),
        ("0.25", "0.245", "0.255"),
        ("1E+2", "50", "150"),
        ("-3", "-3.5", "-2.5"),
    ],
)
def test_precision_range(number: str, low: str, high: str) -> None:
    assert precision_range(D(number)) == (D(low), D(high))


def test_number_parameter_from_integer_and_decimal() -> None:
    assessment = {
        "resourceType": "RiskAssessment",
        "prediction": [{"probabilityDecimal": 0.25}, {"probabilityDecimal": 100}],
    }
    assert values_of(assessment, "probability") == [
        NumberValue(D("0.245"), D("0.255"), D("0.25")),
        NumberValue(D("99.5"), D("100.5"), D("100")),
    ]


def test_number_parameter_from_range_and_exact_decimal() -> None:
    assessment = {
        "resourceType": "RiskAssessment",
        "prediction": [
            {"probabilityRange": {"low": {"value": 1}, "high": {"value": 2.5}}},
            {"probabilityDecimal": D("0.100")},
        ],
    }
    assert values_of(assessment, "probability") == [
        NumberValue(D("0.5"), D("2.55"), None),
        NumberValue(D("0.0995"), D("0.1005"), D("0.100")),
    ]


class TextFloat(float):
    """A float that remembers its JSON text, like resources.fhir_json.JsonDecimal."""

    text: str


def test_float_with_source_text_keeps_its_precision() -> None:
    written = TextFloat("18.00")
    written.text = "18.00"
    quantity = {"value": written, "code": "mg"}
    assert quantity_values(Node(quantity, "Quantity", quantity), {}) == [
        QuantityValue(D("17.995"), D("18.005"), D("18.00"), None, "mg", None)
    ]
    plain = {"value": 18.00, "code": "mg"}
    assert quantity_values(Node(plain, "Quantity", plain), {}) == [
        QuantityValue(D("17.95"), D("18.05"), D("18.0"), None, "mg", None)
    ]


def test_observation_value_quantity() -> None:
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "valueQuantity": {"value": 185, "unit": "lbs", "system": UCUM, "code": "[lb_av]"},
    }
    expected = QuantityValue(D("184.5"), D("185.5"), D("185"), UCUM, "[lb_av]", "lbs")
    assert values_of(observation, "value-quantity") == [expected]
    assert values_of({**observation, "valueQuantity": {"unit": "mg"}}, "value-quantity") == []


def test_comparator_opens_the_range() -> None:
    less = {"value": 5, "comparator": "<", "code": "mg", "system": UCUM}
    more = {"value": 5, "comparator": ">=", "code": "mg", "system": UCUM}
    assert quantity_values(Node(less, "Quantity", less), {}) == [
        QuantityValue(None, D("5.5"), D("5"), UCUM, "mg", None)
    ]
    assert quantity_values(Node(more, "Quantity", more), {}) == [
        QuantityValue(D("4.5"), None, D("5"), UCUM, "mg", None)
    ]


def test_money() -> None:
    money = {"value": 12.5, "currency": "EUR"}
    assert quantity_values(Node(money, "Money", money), {}) == [
        QuantityValue(D("12.45"), D("12.55"), D("12.5"), CURRENCY_SYSTEM, "EUR", None)
    ]


def test_age_and_range_of_condition_abatement() -> None:
    age = {"value": 40, "unit": "yr", "system": UCUM, "code": "a"}
    condition = {"resourceType": "Condition", "abatementAge": age}
    assert values_of(condition, "abatement-age") == [
        QuantityValue(D("39.5"), D("40.5"), D("40"), UCUM, "a", "yr")
    ]
    ranged = {
        "resourceType": "Condition",
        "abatementRange": {"low": {"value": 30, "system": UCUM, "code": "a"}},
    }
    assert values_of(ranged, "abatement-age") == [
        QuantityValue(D("29.5"), None, None, UCUM, "a", None)
    ]


def test_sampled_data_gives_nothing() -> None:
    sampled = {"origin": {"value": 2750}, "period": 10, "dimensions": 1, "data": "1 2 3"}
    observation = {"resourceType": "Observation", "valueSampledData": sampled}
    assert values_of(observation, "value-quantity") == []
