"""Number and quantity search (https://hl7.org/fhir/R4/search.html#number, #quantity).

A search value stands for the range its precision implies (``100`` is [99.5, 100.5)). A
stored number is compared as itself; a stored Range as the span from its low to its high
(each at its own precision). ``eq``: the value lies in the search range (a Range: wholly);
``gt``/``lt``/``ge``/``le``: some of it lies above/below the search value; ``sa``/``eb``: it
lies wholly above/below the search range; ``ap``: within 10% (at least the precision range).
Quantities add units: ``|system|code``, or ``||code`` which also matches the display unit.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.integration.conftest import FHIR_HEADERS
from tests.integration.test_search_engine_support import Batch, Resource

pytestmark = pytest.mark.integration

UCUM = "http://unitsofmeasure.org"
Target = tuple[Decimal | None, Decimal | None, Decimal | None]
"""(value, low, high): a number is (v, v, v); a Range (None, low, high)."""


def _precision(text: str) -> tuple[Decimal, Decimal]:
    number = Decimal(text)
    half = Decimal(5).scaleb(int(number.as_tuple().exponent) - 1)
    return number - half, number + half


def number_matches(prefix: str, text: str, target: Target) -> bool:
    """The semantics above, for a search value ``text`` and a stored number or Range."""
    x = Decimal(text)
    sl, sh = _precision(text)
    value, low, high = target
    if value is not None:
        margin = abs(x) / 10
        return {
            "eq": sl <= value < sh,
            "ne": not sl <= value < sh,
            "gt": value > x,
            "lt": value < x,
            "ge": value >= x,
            "le": value <= x,
            "sa": value >= sh,
            "eb": value < sl,
            "ap": min(sl, x - margin) <= value <= max(sh, x + margin),
        }[prefix]
    contained = low is not None and high is not None and low >= sl and high <= sh
    return {
        "eq": contained,
        "ne": not contained,
        "gt": high is None or high > x,
        "lt": low is None or low < x,
        "ge": high is None or high > x,
        "le": low is None or low <= x,
        "sa": low is not None and low >= sh,
        "eb": high is not None and high <= sl,
    }[prefix]


PROBABILITIES: list[dict[str, Any]] = [
    {"probabilityDecimal": 0.5},
    {"probabilityDecimal": 0.55},
    {"probabilityDecimal": 0.45},
    {"probabilityDecimal": 0.9},
    {"probabilityDecimal": 0.04},
    {"probabilityRange": {"low": {"value": 0.2}, "high": {"value": 0.4}}},
    {"probabilityRange": {"low": {"value": 0.6}}},
]


def _probability(resource: Resource) -> Target | None:
    prediction = resource["prediction"][0]
    if "probabilityDecimal" in prediction:
        value = Decimal(str(prediction["probabilityDecimal"]))
        return value, value, value
    span = prediction["probabilityRange"]
    low = _precision(str(span["low"]["value"]))[0] if "low" in span else None
    high = _precision(str(span["high"]["value"]))[1] if "high" in span else None
    return None, low, high


@pytest.fixture(scope="module")
def assessments(base_url: str) -> Iterator[Batch]:
    """RiskAssessments with decimal and Range probabilities (read only)."""
    with httpx.Client(base_url=base_url, headers=FHIR_HEADERS, timeout=30) as client:
        batch = Batch(client)
        for prediction in PROBABILITIES:
            batch.create(
                {
                    "resourceType": "RiskAssessment",
                    "status": "final",
                    "subject": {"reference": "Patient/example"},
                    "prediction": [prediction],
                }
            )
        yield batch


@pytest.mark.parametrize("prefix", ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"])
@pytest.mark.parametrize("value", ["0.5", "0.50", "0.4", "0.05", "1", "0.3"])
def test_number_prefixes(assessments: Batch, prefix: str, value: str) -> None:
    def keep(r: Resource) -> bool:
        target = _probability(r)
        return target is not None and number_matches(prefix, value, target)

    expected = assessments.expect("RiskAssessment", keep)
    found = assessments.ids("RiskAssessment", [("probability", f"{prefix}{value}")])
    assert sorted(found) == expected


def test_number_approximately(assessments: Batch) -> None:
    points = [r for r in assessments.of_type("RiskAssessment") if (_probability(r) or (0,))[0]]
    expected = sorted(
        r["id"] for r in points if number_matches("ap", "0.5", _probability(r) or (None,) * 3)
    )
    found = assessments.ids("RiskAssessment", [("probability", "ap0.5")])
    assert sorted(set(found) & {r["id"] for r in points}) == expected


QUANTITIES: list[dict[str, Any]] = [
    {"value": 5.4, "unit": "mmol/L", "system": UCUM, "code": "mmol/L"},
    {"value": 100, "unit": "mg/dL", "system": UCUM, "code": "mg/dL"},
    {"value": 100.0, "unit": "mg/dL"},
    {"value": 99.6, "unit": "milligram per decilitre", "system": UCUM, "code": "mg/dL"},
    {"value": 120, "unit": "mg/dL", "system": "urn:other-units", "code": "mg/dL"},
    {"value": 5, "comparator": "<", "unit": "mmol/L", "system": UCUM, "code": "mmol/L"},
]


def _quantity_matches(search: str, quantity: dict[str, Any]) -> bool:
    number, _, units = search.partition("|")
    system, _, code = units.partition("|")
    prefix = number[:2] if number[:2].isalpha() else "eq"
    text = number[2:] if number[:2].isalpha() else number
    if system and (quantity.get("system"), quantity.get("code")) != (system, code):
        return False
    if not system and code and code not in (quantity.get("code"), quantity.get("unit")):
        return False
    value = Decimal(str(quantity["value"]))
    comparator = quantity.get("comparator")
    if comparator:  # an open side: below (or above) the value, without limit
        open_low = comparator in ("<", "<=")
        return number_matches(
            prefix, text, (None, None if open_low else value, value if open_low else None)
        )
    return number_matches(prefix, text, (value, value, value))


@pytest.mark.parametrize(
    "search",
    [
        "100",
        "100||mg/dL",
        f"100|{UCUM}|mg/dL",
        "gt99|urn:other-units|mg/dL",
        "ge100||mg/dL",
        "lt5.4",
        "5.4|" + UCUM + "|mmol/L",
        "le4||mmol/L",
        "ap100||mg/dL",
        "ne100",
        "100||milligram per decilitre",
    ],
)
def test_quantity_values_and_units(client: httpx.Client, search: str) -> None:
    batch = Batch(client)
    code = {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]}
    for quantity in QUANTITIES:
        batch.create(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": code,
                "valueQuantity": quantity,
            }
        )
    expected = batch.expect("Observation", lambda o: _quantity_matches(search, o["valueQuantity"]))
    assert sorted(batch.ids("Observation", [("value-quantity", search)])) == expected


@pytest.mark.parametrize("sort", ["probability", "-probability"])
def test_sort_on_numbers_pages_through_decimal_keys(assessments: Batch, sort: str) -> None:
    descending = sort.startswith("-")

    def key(resource: Resource) -> Decimal | None:
        """The number itself; a Range by its low end ascending, its high end descending."""
        value, low, high = _probability(resource) or (None, None, None)
        return value if value is not None else (high if descending else low)

    valued = [r for r in assessments.of_type("RiskAssessment") if key(r) is not None]
    ordered = sorted(valued, key=lambda r: r["id"])
    ordered.sort(key=lambda r: key(r) or 0, reverse=descending)
    unvalued = sorted(r["id"] for r in assessments.of_type("RiskAssessment") if key(r) is None)
    expected = [r["id"] for r in ordered] + unvalued  # no value: last either way
    assert assessments.ids("RiskAssessment", [("_sort", sort), ("_count", "2")]) == expected
