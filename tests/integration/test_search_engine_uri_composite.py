"""Uri search (https://hl7.org/fhir/R4/search.html#uri: exact, ``:below``, ``:above``) and
composite search (#composite: every component matches the same composite value)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.integration.test_search_engine_support import Batch, Resource

pytestmark = pytest.mark.integration

URLS = [
    "http://acme.org/fhir/ValueSet/123",
    "http://acme.org/fhir/ValueSet/1234",
    "http://acme.org/fhir/ValueSet",
    "http://acme.org/fhir/",
    "http://acme.org",
    "http://acme.org/other/ValueSet/123",
    "urn:oid:1.2.3",
]
LOINC = "http://loinc.org"
SYSTOLIC, DIASTOLIC = "8480-6", "8462-4"


def _above(stored: str, value: str) -> bool:
    """``stored`` is ``value`` or one of its parent paths."""
    if stored == value:
        return True
    if not value.startswith(stored):
        return False
    return stored.endswith("/") or value[len(stored)] == "/"


def _value_sets(client: httpx.Client) -> Batch:
    batch = Batch(client)
    for url in URLS:
        batch.create({"resourceType": "ValueSet", "status": "active", "url": url})
    return batch


@pytest.mark.parametrize(
    ("modifier", "value"),
    [
        ("", "http://acme.org/fhir/ValueSet/123"),
        ("", "http://acme.org/fhir/ValueSet/12"),
        ("below", "http://acme.org/fhir/"),
        ("below", "http://acme.org/fhir/ValueSet/123"),
        ("below", "urn:oid:"),
        ("above", "http://acme.org/fhir/ValueSet/123/_history/5"),
        ("above", "http://acme.org/fhir/ValueSet/123"),
        ("above", "http://acme.org/other/ValueSet/123/x"),
    ],
)
def test_uri(client: httpx.Client, modifier: str, value: str) -> None:
    batch = _value_sets(client)
    tests: dict[str, Callable[[str], bool]] = {
        "": lambda stored: stored == value,
        "below": lambda stored: stored.startswith(value),
        "above": lambda stored: _above(stored, value),
    }
    expected = batch.expect("ValueSet", lambda v: tests[modifier](v["url"]))
    name = f"url:{modifier}" if modifier else "url"
    assert sorted(batch.ids("ValueSet", [(name, value)])) == expected


def _quantity(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}


def _code(code: str) -> dict[str, Any]:
    return {"coding": [{"system": LOINC, "code": code}]}


def _blood_pressures(client: httpx.Client) -> Batch:
    batch = Batch(client)
    base = {"resourceType": "Observation", "status": "final"}
    batch.create({**base, "code": _code(SYSTOLIC), "valueQuantity": _quantity(120)})
    batch.create({**base, "code": _code(SYSTOLIC), "valueQuantity": _quantity(90)})
    batch.create({**base, "code": _code(DIASTOLIC), "valueQuantity": _quantity(120)})
    batch.create(
        {
            **base,
            "code": _code("85354-9"),
            "component": [
                {"code": _code(SYSTOLIC), "valueQuantity": _quantity(130)},
                {"code": _code(DIASTOLIC), "valueQuantity": _quantity(85)},
            ],
        }
    )
    return batch


def _pairs(observation: Resource, components: bool) -> list[tuple[str, float]]:
    items = observation.get("component", []) if components else [observation]
    return [
        (c["code"]["coding"][0]["code"], c["valueQuantity"]["value"])
        for c in items
        if "valueQuantity" in c
    ]


@pytest.mark.parametrize(
    ("param", "code", "prefix", "value"),
    [
        ("code-value-quantity", SYSTOLIC, "gt", 100),
        ("code-value-quantity", DIASTOLIC, "gt", 100),
        ("code-value-quantity", SYSTOLIC, "lt", 100),
        ("component-code-value-quantity", SYSTOLIC, "gt", 125),
        ("component-code-value-quantity", DIASTOLIC, "gt", 125),
        ("component-code-value-quantity", DIASTOLIC, "lt", 90),
    ],
)
def test_composite_components_match_one_value(
    client: httpx.Client, param: str, code: str, prefix: str, value: int
) -> None:
    batch = _blood_pressures(client)
    compare: Callable[[float], bool] = {"gt": lambda v: v > value, "lt": lambda v: v < value}[
        prefix
    ]
    components = param.startswith("component")
    expected = batch.expect(
        "Observation", lambda o: any(c == code and compare(v) for c, v in _pairs(o, components))
    )
    search = [(param, f"{LOINC}|{code}${prefix}{value}")]
    assert sorted(batch.ids("Observation", search)) == expected


def test_composite_missing(client: httpx.Client) -> None:
    batch = _blood_pressures(client)
    expected = batch.expect("Observation", lambda o: "component" not in o)
    found = batch.ids("Observation", [("component-code-value-quantity:missing", "true")])
    assert sorted(found) == expected


def test_composite_values_are_replaced_on_update(client: httpx.Client) -> None:
    batch = _blood_pressures(client)
    panel = next(o for o in batch.created if "component" in o)
    changed = {**panel, "component": [{"code": _code(SYSTOLIC), "valueQuantity": _quantity(80)}]}
    assert client.put(f"/Observation/{panel['id']}", json=changed).status_code == 200
    high = [("component-code-value-quantity", f"{LOINC}|{SYSTOLIC}$gt125")]
    assert batch.ids("Observation", high) == []
    low = [("component-code-value-quantity", f"{LOINC}|{SYSTOLIC}$lt90")]
    assert batch.ids("Observation", low) == [panel["id"]]
