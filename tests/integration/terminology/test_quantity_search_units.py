"""Quantity search across UCUM units of one dimension (g, mg, kg; kcal, kJ)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.integration.terminology.helpers import UCUM

pytestmark = pytest.mark.integration


def _observation(client: httpx.Client, tag: str, value: float, code: str) -> str:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "identifier": [{"system": "urn:test:quantity-units", "value": tag}],
        "code": {"text": "amount"},
        "valueQuantity": {"value": value, "unit": code, "system": UCUM, "code": code},
    }
    response = client.post("/Observation", json=resource)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _found(client: httpx.Client, tag: str, search: str) -> set[str]:
    query = {"identifier": f"urn:test:quantity-units|{tag}", "value-quantity": search}
    bundle = client.get("/Observation", params=query).json()
    return {entry["resource"]["id"] for entry in bundle.get("entry", [])}


def test_mass_in_any_unit(client: httpx.Client) -> None:
    tag = str(uuid.uuid4())
    grams = _observation(client, tag, 5, "g")
    milligrams = _observation(client, tag, 5000, "mg")
    kilograms = _observation(client, tag, 0.005, "kg")
    more = _observation(client, tag, 5.6, "g")
    micrograms = _observation(client, tag, 5000000, "ug")
    same = {grams, milligrams, kilograms, micrograms}
    assert _found(client, tag, f"5|{UCUM}|g") == same
    assert _found(client, tag, f"5000|{UCUM}|mg") == same
    assert _found(client, tag, f"gt5.5|{UCUM}|g") == {more}
    assert _found(client, tag, f"lt5500|{UCUM}|mg") == same
    assert _found(client, tag, "5||g") == {grams}  # no system: the unit as written only


def test_energy_in_kcal_and_kj(client: httpx.Client) -> None:
    tag = str(uuid.uuid4())
    kcal = _observation(client, tag, 100, "kcal")
    kj = _observation(client, tag, 418.4, "kJ")
    assert _found(client, tag, f"100|{UCUM}|kcal") == {kcal, kj}
    assert _found(client, tag, f"418.4|{UCUM}|kJ") == {kcal, kj}


def test_mass_and_substance_concentrations_do_not_mix(client: httpx.Client) -> None:
    """99 mg/dL of glucose is 5.5 mmol/L only through glucose's molar mass, which a search
    value does not carry: a substance search does not find mass concentrations."""
    tag = str(uuid.uuid4())
    mass = _observation(client, tag, 99, "mg/dL")
    assert _found(client, tag, f"5.5|{UCUM}|mmol/L") == set()
    assert _found(client, tag, f"0.99|{UCUM}|g/L") == {mass}


def test_an_unknown_unit_matches_as_written(client: httpx.Client) -> None:
    tag = str(uuid.uuid4())
    odd = _observation(client, tag, 3, "{scoops}")
    assert _found(client, tag, f"3|{UCUM}|{{scoops}}") == {odd}
