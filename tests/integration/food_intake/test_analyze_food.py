"""``$analyze-food`` over HTTP: text to a NutritionIntake, findings, persisting, confirming."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.fhir_http import create_patient
from tests.integration.food_intake.helpers import (
    CONFIDENCE,
    EVIDENCE,
    INPUT_SOURCE,
    VERIFIED,
    analyze,
    extension,
    intake_of,
    named,
    parts,
    post_form,
    text_body,
)
from tests.integration.safety.helpers import allergy, create

pytestmark = pytest.mark.integration


def test_text_gives_a_proposed_intake_with_items_spans_and_nutrients(client: httpx.Client) -> None:
    text = "for breakfast I had 2 scrambled eggs and a slice of whole wheat toast"
    answer = analyze(client, text_body(text))
    intake = intake_of(answer)
    assert intake["status"] == "preparation"
    assert intake["code"]["coding"][0]["code"] == "breakfast"
    assert extension(intake, INPUT_SOURCE)[0]["valueCode"] == "text"
    eggs, toast = intake["consumedItem"]
    assert eggs["nutritionProduct"]["reference"]["reference"] == "NutritionProduct/sr24-01132"
    assert eggs["amount"] == {
        "value": 122.0,
        "unit": "g",
        "system": "http://unitsofmeasure.org",
        "code": "g",
    }
    span = {e["url"]: e for e in extension(eggs, EVIDENCE)[0]["extension"]}
    start, end = span["textStart"]["valueInteger"], span["textEnd"]["valueInteger"]
    assert text[start:end] == "2 scrambled eggs"
    assert 0.5 < extension(eggs, CONFIDENCE)[0]["valueDecimal"] <= 1
    assert "bread" in toast["nutritionProduct"]["reference"]["display"].lower()
    energy = [
        n
        for n in intake["ingredientLabel"]
        if n["nutrient"]["concept"]["coding"][0]["code"] == "energy"
    ]
    assert energy
    assert energy[0]["amount"]["value"] > 200
    items = [parts(i) for i in named(answer, "item")]
    assert items[0]["household"]["valueString"] == "2 large"


def test_unrecognised_phrases_are_reported_not_dropped(client: httpx.Client) -> None:
    text = "a banana and some xqzzvy"
    answer = analyze(client, text_body(text))
    missed = [parts(p) for p in named(answer, "unrecognised")]
    assert [m["text"]["valueString"] for m in missed] == ["xqzzvy"]
    assert text[missed[0]["start"]["valueInteger"] : missed[0]["end"]["valueInteger"]] == "xqzzvy"
    assert len(intake_of(answer)["consumedItem"]) == 1
    issues = named(answer, "outcome")[0]["resource"]["issue"]
    assert any("xqzzvy" in i["diagnostics"] for i in issues)


def test_no_food_found_is_an_empty_result_with_information(client: httpx.Client) -> None:
    answer = analyze(client, text_body("qwxz vvbn"))
    assert not named(answer, "intake")
    issue = named(answer, "outcome")[0]["resource"]["issue"][0]
    assert issue["severity"] == "information"
    assert issue["details"]["coding"][0]["code"] == "NV-0811"


def test_tree_nut_allergy_gives_an_allergen_finding(client: httpx.Client) -> None:
    patient = f"Patient/{create_patient(client)['id']}"
    create(client, allergy(patient, "Tree nut"))
    answer = analyze(client, text_body("a handful of almonds"), f"/{patient}")
    findings = [p["resource"] for p in named(answer, "finding")]
    assert findings, answer
    assert findings[0]["resourceType"] == "DetectedIssue"
    assert findings[0]["code"]["coding"][0]["code"] == "ALLERGY"
    assert findings[0]["patient"]["reference"] == patient
    assert intake_of(answer)["subject"]["reference"] == patient


def test_persist_stores_a_completed_intake_that_the_user_confirms(client: httpx.Client) -> None:
    patient = f"Patient/{create_patient(client)['id']}"
    body = text_body("grilled chicken breast with steamed broccoli", persist={"valueBoolean": True})
    stored = intake_of(analyze(client, body, f"/{patient}"))
    assert stored["status"] == "completed"
    assert stored["id"]
    read = client.get(f"/NutritionIntake/{stored['id']}")
    assert read.status_code == 200
    confirmed = read.json()
    confirmed["extension"].append({"url": VERIFIED, "valueBoolean": True})
    put = client.put(f"/NutritionIntake/{stored['id']}", json=confirmed)
    assert put.status_code == 200, put.text
    assert extension(put.json(), VERIFIED)[0]["valueBoolean"] is True


def test_confirming_a_proposal_is_validated_against_the_profile(client: httpx.Client) -> None:
    patient = f"Patient/{create_patient(client)['id']}"
    proposal = intake_of(analyze(client, text_body("a bowl of oatmeal"), f"/{patient}"))
    proposal["status"] = "completed"
    proposal["extension"].append({"url": VERIFIED, "valueBoolean": True})
    created = client.post("/NutritionIntake", json=proposal)
    assert created.status_code == 201, created.text
    id_ = created.json()["id"]
    broken = {**proposal, "id": id_, "consumedItem": [{**proposal["consumedItem"][0]}]}
    del broken["consumedItem"][0]["amount"]  # the profile's nv-ni-1: an amount per item
    refused = client.put(f"/NutritionIntake/{id_}", json=broken)
    assert refused.status_code == 422, refused.text


def test_patch_confirms_a_stored_intake(client: httpx.Client) -> None:
    patient = f"Patient/{create_patient(client)['id']}"
    body = text_body("an apple", persist={"valueBoolean": True})
    stored = intake_of(analyze(client, body, f"/{patient}"))
    patch = [
        {"op": "add", "path": "/extension/-", "value": {"url": VERIFIED, "valueBoolean": True}}
    ]
    response = client.patch(
        f"/NutritionIntake/{stored['id']}",
        json=patch,
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert response.status_code == 200, response.text
    assert extension(response.json(), VERIFIED)


def test_multipart_text_form(client: httpx.Client) -> None:
    files = {"text": (None, "a cup of black coffee"), "mealType": (None, "snack")}
    response = post_form(client, "/NutritionIntake/$analyze-food", files)
    assert response.status_code == 200, response.text
    intake = intake_of(response.json())
    assert intake["code"]["coding"][0]["code"] == "snack"
    assert "coffee" in intake["consumedItem"][0]["nutritionProduct"]["reference"]["display"].lower()
