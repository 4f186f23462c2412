"""NutritionProduct search and read over HTTP, answered from the shipped food database."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fhir.resources.R4B.nutritionproduct import NutritionProduct

pytestmark = pytest.mark.integration


def _nutrient(resource: dict[str, Any], code: str) -> dict[str, Any]:
    for nutrient in resource["nutrient"]:
        if nutrient["item"]["concept"]["coding"][0]["code"] == code:
            amount: dict[str, Any] = nutrient["amount"][0]
            return amount
    raise AssertionError(f"no {code} in {resource['id']}")


def test_search_by_name_finds_broccoli(client: httpx.Client) -> None:
    response = client.get("/NutritionProduct", params={"name": "broccoli"})
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["type"] == "searchset"
    first = bundle["entry"][0]
    assert first["resource"]["code"]["text"].startswith("Broccoli")
    assert first["fullUrl"].endswith(f"/NutritionProduct/{first['resource']['id']}")
    scores = [entry["search"]["score"] for entry in bundle["entry"]]
    assert scores == sorted(scores, reverse=True)


def test_search_tolerates_typos_and_synonyms(client: httpx.Client) -> None:
    typo = client.get("/NutritionProduct", params={"name": "brocoli", "_count": "1"}).json()
    assert typo["entry"][0]["resource"]["code"]["text"].startswith("Broccoli")
    oj = client.get("/NutritionProduct", params={"name": "oj", "_count": "1"}).json()
    assert oj["entry"][0]["resource"]["code"]["text"].startswith("Orange juice")
    assert len(oj["entry"]) == 1


def test_read_egg_with_nutrients_per_100g_portions_and_provenance(client: httpx.Client) -> None:
    response = client.get("/NutritionProduct/sr24-01123")
    assert response.status_code == 200
    resource = response.json()
    NutritionProduct.model_validate(resource)
    ndb = {"system": "https://nutrivision.example.org/fhir/sid/usda-sr24-ndb", "value": "01123"}
    assert resource["extension"][0]["valueIdentifier"] == ndb
    assert resource["code"]["coding"][0]["code"] == "01123"
    assert resource["code"]["text"] == "Egg, whole, raw, fresh"
    energy = _nutrient(resource, "energy")
    assert energy["numerator"] == {
        "value": 143.0,
        "unit": "kcal",
        "system": "http://unitsofmeasure.org",
        "code": "kcal",
    }
    assert energy["denominator"]["value"] == 100
    assert energy["denominator"]["code"] == "g"
    # SR24 gives 82 IU of vitamin D: 2.05 ug.
    assert _nutrient(resource, "vitamin_d")["numerator"]["value"] == pytest.approx(2.05)
    portions = {
        p["type"]["text"]: p["valueQuantity"]["value"] for p in resource["productCharacteristic"]
    }
    assert portions["1 large"] == 50.0


def test_search_results_validate_as_r4b(client: httpx.Client) -> None:
    bundle = client.get("/NutritionProduct", params={"name": "scrambled eggs"}).json()
    assert bundle["entry"][0]["resource"]["code"]["text"] == "Egg, whole, cooked, scrambled"
    for entry in bundle["entry"]:
        NutritionProduct.model_validate(entry["resource"])


def test_unknown_food_is_404_with_code(client: httpx.Client) -> None:
    response = client.get("/NutritionProduct/sr24-99999")
    assert response.status_code == 404
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == "NV-0681"


def test_search_without_name_is_400(client: httpx.Client) -> None:
    response = client.get("/NutritionProduct")
    assert response.status_code == 400
    assert response.json()["issue"][0]["details"]["coding"][0]["code"] == "NV-0680"
    bad = client.get("/NutritionProduct", params={"name": "egg", "_count": "many"})
    assert bad.status_code == 400
    assert bad.json()["issue"][0]["details"]["coding"][0]["code"] == "NV-0682"


def test_search_by_id_and_no_match(client: httpx.Client) -> None:
    by_id = client.get("/NutritionProduct", params={"_id": "sr24-01123"}).json()
    assert [e["resource"]["id"] for e in by_id["entry"]] == ["sr24-01123"]
    nothing = client.get("/NutritionProduct", params={"name": "xqzzv"}).json()
    assert nothing["total"] == 0
    assert nothing["entry"] == []
