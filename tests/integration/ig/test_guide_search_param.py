"""The guide's SearchParameter ``input-source`` is a built-in search parameter of the server:
in the registry from the start, indexed on write, searchable without a reindex, declared."""

from __future__ import annotations

import httpx
import pytest

from profiles_ig.canonical import canonical
from tests.ig_data import profiled

pytestmark = pytest.mark.integration

INPUT_SOURCE = canonical("SearchParameter", "nutritionintake-input-source")


def _intake(client: httpx.Client, source: str) -> str:
    body = profiled("nv-nutrition-intake")
    del body["id"]
    body["extension"][0]["valueCode"] = source
    response = client.post("/NutritionIntake", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_intakes_are_found_by_their_input_source(client: httpx.Client) -> None:
    voice, image = _intake(client, "voice"), _intake(client, "image")
    headers = {"Prefer": "handling=strict"}  # a not-ready or unknown parameter would be a 400
    response = client.get("/NutritionIntake", params={"input-source": "voice"}, headers=headers)
    assert response.status_code == 200, response.text
    found = {e["resource"]["id"] for e in response.json().get("entry", [])}
    assert voice in found
    assert image not in found
    assert not [e for e in response.json().get("entry", []) if e["search"]["mode"] == "outcome"]
    response = client.get("/NutritionIntake", params={"input-source": "image,barcode"})
    found = {e["resource"]["id"] for e in response.json().get("entry", [])}
    assert image in found
    assert voice not in found


def test_the_statement_declares_it_with_its_canonical_url(client: httpx.Client) -> None:
    statement = client.get("/metadata").json()
    entries = {entry["type"]: entry for entry in statement["rest"][0]["resource"]}
    params = {p["name"]: p for p in entries["NutritionIntake"]["searchParam"]}
    assert params["input-source"] == {
        "name": "input-source",
        "definition": INPUT_SOURCE,
        "type": "token",
    }
