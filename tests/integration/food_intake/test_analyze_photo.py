"""End to end: a meal photo uploaded as a mobile app does (multipart) becomes a NutritionIntake
for a Synthea patient, with nutrients, a bounding box per food, and the allergen finding for
the patient's egg allergy. The photo is one of the held-out test photos of the shared Roboflow
set (kept out of the repository: the test skips, saying so, where it is absent)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.integration.food_intake.helpers import (
    EVIDENCE,
    INPUT_SOURCE,
    extension,
    intake_of,
    named,
    post_form,
)
from tests.integration.safety.helpers import allergy, create
from tests.synthea import bundle_paths, put_resource, read_bundle
from tests.unit.ml_ops.vision_data import FOOD_PHOTOS, needs_photos

pytestmark = [pytest.mark.integration, needs_photos]

PHOTO = "IMG-20240324-WA0277_jpg.rf"
"""A test photo labelled egg, lemon and tomato."""


def _synthea_patient(client: httpx.Client) -> str:
    bundle = read_bundle(bundle_paths()[0])
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    patient = {**patient, "id": f"photo-{uuid.uuid4().hex[:12]}"}
    return f"Patient/{put_resource(client, patient)['id']}"


def test_a_meal_photo_gives_an_intake_and_an_allergen_finding(client: httpx.Client) -> None:
    patient = _synthea_patient(client)
    create(client, allergy(patient, "Egg"))
    (photo,) = (FOOD_PHOTOS / "test" / "images").glob(f"{PHOTO}*.jpg")
    files = {"image": ("meal.jpg", photo.read_bytes(), "image/jpeg")}
    response = post_form(client, f"/{patient}/$analyze-food", files)
    assert response.status_code == 200, response.text
    answer = response.json()

    intake = intake_of(answer)
    assert intake["subject"]["reference"] == patient
    assert extension(intake, INPUT_SOURCE)[0]["valueCode"] == "image"
    names = [i["nutritionProduct"]["reference"]["display"].lower() for i in intake["consumedItem"]]
    for food in ("egg", "lemon", "tomato"):
        assert any(food in n for n in names), names
    assert intake["ingredientLabel"], "no nutrients"
    for item in intake["consumedItem"]:
        assert item["amount"]["value"] > 0
        evidence = {e["url"]: e for e in extension(item, EVIDENCE)[0]["extension"]}
        assert evidence["kind"]["valueCode"] == "bounding-box"
        x, y, width, height = (float(v) for v in evidence["boundingBox"]["valueString"].split(","))
        assert 0 <= x < 640
        assert 0 <= y < 640
        assert min(width, height) > 0

    findings = [p["resource"] for p in named(answer, "finding")]
    assert [f["code"]["coding"][0]["code"] for f in findings] == ["ALLERGY"], findings
    assert "egg" in findings[0]["detail"].lower()
