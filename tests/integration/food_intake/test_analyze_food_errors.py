"""``$analyze-food`` bad input: each a clear OperationOutcome with its status, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import assert_outcome
from tests.integration.food_intake.helpers import (
    PNG,
    WAV,
    attachment_body,
    post_form,
    text_body,
)

pytestmark = pytest.mark.integration
PATH = "/NutritionIntake/$analyze-food"


def _post(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return client.post(PATH, json=body)


def test_empty_text(client: httpx.Client) -> None:
    assert_outcome(_post(client, text_body("   ")), 400, error_codes.ANALYZE_FOOD_EMPTY_TEXT)


def test_two_inputs_at_once(client: httpx.Client) -> None:
    body = text_body("an apple")
    body["parameter"].append(attachment_body("image", PNG, "image/png")["parameter"][0])
    assert_outcome(_post(client, body), 400, error_codes.ANALYZE_FOOD_INPUT_COUNT)


def test_no_input(client: httpx.Client) -> None:
    body = {"resourceType": "Parameters", "parameter": [{"name": "mealType", "valueCode": "lunch"}]}
    assert_outcome(_post(client, body), 400, error_codes.ANALYZE_FOOD_INPUT_COUNT)


def test_unsupported_language(client: httpx.Client) -> None:
    body = text_body("deux oeufs brouillés", language={"valueCode": "fr"})
    assert_outcome(_post(client, body), 400, error_codes.ANALYZE_FOOD_LANGUAGE)


def test_a_text_file_is_not_an_image(client: httpx.Client) -> None:
    body = attachment_body("image", b"just some text, not a photo", "image/jpeg")
    assert_outcome(_post(client, body), 415, error_codes.ANALYZE_FOOD_NOT_IMAGE)


def test_a_text_file_is_not_audio(client: httpx.Client) -> None:
    body = attachment_body("audio", b"not a sound at all", "audio/wav")
    assert_outcome(_post(client, body), 415, error_codes.ANALYZE_FOOD_NOT_AUDIO)


def test_voice_in_another_language(client: httpx.Client) -> None:
    body = attachment_body("audio", WAV, "audio/wav")
    body["parameter"].append({"name": "language", "valueCode": "de"})
    assert_outcome(_post(client, body), 400, error_codes.ANALYZE_FOOD_LANGUAGE)


def test_a_png_signature_without_an_image_is_415(client: httpx.Client) -> None:
    response = _post(client, attachment_body("image", PNG, "image/png"))
    assert_outcome(response, 415, error_codes.IMAGE_UNREADABLE)


def test_a_corrupt_wav_is_400(client: httpx.Client) -> None:
    response = _post(client, attachment_body("audio", WAV, "audio/wav"))
    assert_outcome(response, 400, error_codes.SPEECH_AUDIO_CORRUPT)


def test_an_upload_over_the_body_limit_is_413(client: httpx.Client) -> None:
    big = PNG + b"\x00" * (300 * 1024)
    response = post_form(client, PATH, {"image": ("meal.png", big, "image/png")})
    assert response.status_code == 413, response.text


def test_a_non_image_upload_in_a_form_is_415(client: httpx.Client) -> None:
    response = post_form(client, PATH, {"image": ("meal.jpg", b"%PDF-1.4 no", "image/jpeg")})
    assert_outcome(response, 415, error_codes.ANALYZE_FOOD_NOT_IMAGE)


def test_bad_base64(client: httpx.Client) -> None:
    attachment = {"contentType": "image/png", "data": "***"}
    body = {
        "resourceType": "Parameters",
        "parameter": [{"name": "image", "valueAttachment": attachment}],
    }
    assert_outcome(_post(client, body), 400, error_codes.ANALYZE_FOOD_BAD_ATTACHMENT)


def test_persist_without_a_patient(client: httpx.Client) -> None:
    body = text_body("an apple", persist={"valueBoolean": True})
    assert_outcome(_post(client, body), 400, error_codes.ANALYZE_FOOD_PERSIST_NEEDS_PATIENT)


def test_unknown_patient(client: httpx.Client) -> None:
    response = client.post("/Patient/no-such-patient/$analyze-food", json=text_body("an apple"))
    assert_outcome(response, 404, error_codes.ANALYZE_FOOD_PATIENT_NOT_FOUND)


def test_bad_meal_type(client: httpx.Client) -> None:
    body = text_body("an apple", mealType={"valueCode": "elevenses"})
    assert_outcome(_post(client, body), 400, error_codes.ANALYZE_FOOD_BAD_PARAMETER)


def test_occurrence_without_a_zone(client: httpx.Client) -> None:
    body = text_body("an apple", occurrence={"valueDateTime": "2026-01-01T08:00:00"})
    assert_outcome(_post(client, body), 400, error_codes.ANALYZE_FOOD_BAD_PARAMETER)


def test_an_image_from_a_binary(client: httpx.Client) -> None:
    text_file = {"resourceType": "Binary", "contentType": "image/png", "data": "aGVsbG8="}
    bad = client.post("/Binary", json=text_file).json()["id"]
    for reference, status, code in (
        (f"Binary/{bad}", 415, error_codes.ANALYZE_FOOD_NOT_IMAGE),
        ("Binary/no-such-binary", 404, error_codes.ANALYZE_FOOD_BINARY_NOT_FOUND),
    ):
        entry = {"name": "image", "valueReference": {"reference": reference}}
        body = {"resourceType": "Parameters", "parameter": [entry]}
        assert_outcome(_post(client, body), status, code)


def test_published_in_the_capability_statement(client: httpx.Client) -> None:
    definition = client.get("/OperationDefinition/analyze-food")
    assert definition.status_code == 200, definition.text
    assert definition.json()["code"] == "analyze-food"
    statement = client.get("/metadata").json()
    types = {r["type"]: r for r in statement["rest"][0]["resource"]}
    for type_ in ("NutritionIntake", "Patient"):
        names = {op["name"] for op in types[type_].get("operation", [])}
        assert "analyze-food" in names
