"""Photo detections and voice transcripts as intake items, and the NutritionIntake they make."""

from __future__ import annotations

from ml_ops.recognition import (
    Box,
    Detection,
    ImageAnalysis,
    NutritionLabel,
    Transcript,
    TranscriptSegment,
)
from ml_ops.text.pipeline import analyse_text, default_matcher
from operations.food_intake.intake import EVIDENCE, nutrition_intake
from operations.food_intake.items import from_image, from_text, from_transcript
from operations.food_intake.safety import food_inputs
from profiles_ig.validation import is_error, validate_resource
from resources.identity import now


def _photo(*detections: Detection, label: NutritionLabel | None = None) -> ImageAnalysis:
    return ImageAnalysis(640, 480, detections, "food-detector@1", label)


def test_detections_become_items_with_boxes_and_grams() -> None:
    almonds = Detection(
        "almond", 0.9, Box(10, 20, 100, 50), grams=28.0, portion_basis="plate-reference"
    )
    banana = Detection("banana", 0.8, Box(200, 40, 120, 60))
    odd = Detection("qwzxv", 0.7, Box(0, 0, 5, 5))
    recognised = from_image(_photo(almonds, banana, odd), default_matcher())
    assert recognised.source == "image"
    first, second = recognised.items
    assert "almond" in first.name.lower()
    assert first.grams == 28.0
    assert first.basis == "plate-reference"
    assert first.evidence[0].box == Box(10, 20, 100, 50)
    assert first.confidence <= 0.9
    assert first.food is not None
    expected = default_matcher().lookup.nutrients_for(first.food, 28.0)["energy"].value
    assert first.nutrients["energy"].value == expected
    assert second.grams is not None
    assert second.grams > 80  # no estimate: the banana's usual serving
    assert [u.text for u in recognised.unrecognised] == ["qwzxv"]
    assert recognised.model == "food-detector@1"


def test_a_nutrition_label_is_an_item_with_its_nutrients() -> None:
    label = NutritionLabel(
        "Nutrition Facts ... Ingredients: oats, almonds", 40.0, {"energy": 150.0, "xyz": 1.0}
    )
    (item,) = from_image(_photo(label=label), default_matcher()).items
    assert item.food is None
    assert item.grams == 40.0
    assert set(item.nutrients) == {"energy"}
    assert "almonds" in item.safety_text


def test_a_transcript_goes_through_the_text_pipeline_with_segments() -> None:
    segments = (
        TranscriptSegment("2 scrambled eggs", 0, 1500),
        TranscriptSegment("and a banana", 1600, 2800),
    )
    transcript = Transcript("2 scrambled eggs and a banana", "en", segments, "whisper-tiny@1")
    recognised = from_transcript(transcript, default_matcher())
    assert recognised.source == "voice"
    eggs, banana = recognised.items
    assert [e.kind for e in banana.evidence] == ["text-span", "audio-segment"]
    assert (banana.evidence[1].start_ms, banana.evidence[1].end_ms) == (1600, 2800)
    assert eggs.evidence[1].start_ms == 0


def test_the_intake_carries_evidence_and_validates() -> None:
    recognised = from_image(
        _photo(Detection("almond", 0.9, Box(10.5, 20, 100, 50), grams=28.0)), default_matcher()
    )
    intake = nutrition_intake(recognised, "Patient/p", now(), now(), "snack")
    item = intake["consumedItem"][0]
    evidence = next(e for e in item["extension"] if e["url"] == EVIDENCE)
    parts = {p["url"]: p for p in evidence["extension"]}
    assert parts["boundingBox"]["valueString"] == "10.5,20.0,100.0,50.0"
    assert item["amount"]["value"] == 28.0
    errors = [i for i in validate_resource(intake, structural=True) if is_error(i)]
    assert errors == []


def test_voice_evidence_validates() -> None:
    transcript = Transcript("a banana", "en", (TranscriptSegment("a banana", 0, 900),))
    intake = nutrition_intake(from_transcript(transcript), "Patient/p", now(), now(), None)
    assert [i for i in validate_resource(intake, structural=True) if is_error(i)] == []


def test_the_check_reads_items_and_unrecognised_phrases() -> None:
    recognised = from_text(analyse_text("a handful of almonds and some pesto gnocchiz"))
    texts = [food.text for food in food_inputs(recognised)]
    assert "a handful of almonds" in texts
    assert any("pesto" in t for t in texts)
