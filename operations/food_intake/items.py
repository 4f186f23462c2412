"""What a text, a photo or a voice clip showed, as intake items: pure functions.

Every input ends in the same ``Recognised``: one ``IntakeItem`` per food (food, grams,
household amount, nutrients, confidence, evidence) and one ``Unrecognised`` per phrase or
detection no food matched. A photo's detections and a transcript go through the text matcher
(``ml_ops.text``), so a food is recognised the same way whatever the input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from ml_ops.recognition import (
    Box,
    ImageAnalysis,
    NutritionLabel,
    Transcript,
    TranscriptSegment,
)
from ml_ops.speech.alternatives import alternative_items
from ml_ops.speech.heard import heard_matcher
from ml_ops.text.match import Matcher, Recognition
from ml_ops.text.pipeline import TextAnalysis, analyse_text
from terminology.foods import Food, NutrientAmount
from terminology.nutrients import BY_CODE

TEXT_MODEL = "meal-text-rules@1"
ALTERNATIVE_CONFIDENCE = 0.5
"""A food of another reading of a clip is at most half as sure as the same match heard in the
transcript itself."""


@dataclass(frozen=True)
class Evidence:
    """The part of the input an item rests on: a text span, an image region, a clip segment."""

    kind: str
    """``text-span``, ``bounding-box``, ``audio-segment`` or ``alternative-transcript``
    (recognition-evidence-kind)."""
    excerpt: str = ""
    start: int | None = None
    end: int | None = None
    box: Box | None = None
    start_ms: int | None = None
    end_ms: int | None = None


@dataclass(frozen=True)
class IntakeItem:
    """One food eaten, as recognised."""

    text: str
    """What was written, said or seen ("2 scrambled eggs", "almond")."""
    food: Food | None
    """None for a nutrition label, which names no food of the database."""
    name: str
    grams: float | None
    quantity: float
    unit: str
    basis: str
    nutrients: Mapping[str, NutrientAmount]
    confidence: float
    evidence: tuple[Evidence, ...]
    check_text: str = ""
    """What the allergen and interaction check reads when it is more than ``text`` (a
    nutrition label's whole text, with its ingredients)."""

    @property
    def safety_text(self) -> str:
        """The words the safety check reads for this item."""
        return self.check_text or self.text


@dataclass(frozen=True)
class Unrecognised:
    """A phrase or detection no food matched, with where it was."""

    text: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Recognised:
    """Everything one input gave."""

    source: str
    """``text``, ``image`` or ``voice`` (input-source code)."""
    items: tuple[IntakeItem, ...]
    unrecognised: tuple[Unrecognised, ...]
    meal_type: str | None
    model: str

    @property
    def confidence(self) -> float:
        """The overall confidence: the least sure item (0 when nothing was recognised)."""
        return min((i.confidence for i in self.items), default=0.0)


def household_unit(found: Recognition) -> str:
    """The unit a person would say: the USDA measure's name for a count ("large", "breast"),
    else the unit ("cup", "slice", "g", "serving")."""
    portion = found.portion
    if portion.unit == "count" and portion.basis in ("usda", "borrowed"):
        return portion.label.split("(")[0].split(",")[0].strip() or portion.unit
    return portion.unit


def _item(text: str, found: Recognition, evidence: tuple[Evidence, ...]) -> IntakeItem:
    return IntakeItem(
        text, found.food, found.food.name, found.portion.grams, found.quantity,
        household_unit(found), found.portion.basis, found.nutrients, found.confidence, evidence,
    )  # fmt: skip


def _span(text: str, start: int, end: int) -> Evidence:
    return Evidence("text-span", text, start, end)


def from_text(analysis: TextAnalysis) -> Recognised:
    """Items of a typed description, each with its text span as evidence."""
    items = tuple(
        _item(i.text, i.recognition, (_span(i.text, i.start, i.end),)) for i in analysis.items
    )
    missed = tuple(
        Unrecognised(u.text, (_span(u.text, u.start, u.end),)) for u in analysis.unrecognised
    )
    return Recognised("text", items, missed, analysis.meal_type, TEXT_MODEL)


def from_transcript(
    transcript: Transcript, matcher: Matcher | None = None, portion_hint: float | None = None
) -> Recognised:
    """Items of a voice clip: its transcript through the text pipeline, phrases read as heard
    (``ml_ops.speech.heard``: sound-alike food words), each item with its text span and the
    segment of the clip it was heard in; then the foods the recogniser's other readings name
    where the transcript named none, or only in part (``ml_ops.speech.alternatives``), each
    with that reading as its evidence and half the confidence."""
    matcher = matcher or heard_matcher()
    analysis = analyse_text(transcript.text, transcript.language, portion_hint, matcher)
    ranges = _segment_ranges(transcript)

    def spoken(start: int, end: int) -> tuple[Evidence, ...]:
        """The segment of the clip the words from ``start`` to ``end`` were heard in."""
        segment = next((s for (a, b, s) in ranges if a <= start < b), None) if end > start else None
        return (Evidence("audio-segment", segment.text, start_ms=segment.start_ms,
                         end_ms=segment.end_ms),) if segment else ()  # fmt: skip

    def heard(start: int, end: int, text: str) -> tuple[Evidence, ...]:
        return (_span(text, start, end), *spoken(start, end))

    items = [_item(i.text, i.recognition, heard(i.start, i.end, i.text)) for i in analysis.items]
    for other in alternative_items(
        analysis, transcript.alternatives, matcher, transcript.language, portion_hint
    ):
        found = other.item.recognition
        reading = Evidence("alternative-transcript", other.reading, other.item.start,
                           other.item.end)  # fmt: skip
        confidence = round(found.confidence * ALTERNATIVE_CONFIDENCE, 3)
        evidence = (reading, *spoken(other.heard_start, other.heard_end))
        item = _item(other.item.text, found, evidence)
        items.append(replace(item, confidence=confidence))
    missed = tuple(
        Unrecognised(u.text, heard(u.start, u.end, u.text)) for u in analysis.unrecognised
    )
    model = transcript.model or "speech"
    return Recognised("voice", tuple(items), missed, analysis.meal_type, f"{model}+{TEXT_MODEL}")


def _segment_ranges(transcript: Transcript) -> list[tuple[int, int, TranscriptSegment]]:
    # Where each segment's words stand in the full text (the text is the segments joined).
    out: list[tuple[int, int, TranscriptSegment]] = []
    cursor = 0
    for segment in transcript.segments:
        words = segment.text.strip()
        at = transcript.text.find(words, cursor) if words else -1
        if at >= 0:
            out.append((at, at + len(words), segment))
            cursor = at + len(words)
    return out


def from_image(analysis: ImageAnalysis, matcher: Matcher) -> Recognised:
    """Items of a photo: each detection's class name through the text matcher, with its box;
    grams from the detection's estimate, else the food's usual serving; a nutrition label as
    an item carrying the label's nutrients."""
    items: list[IntakeItem] = []
    missed: list[Unrecognised] = []
    for detection in analysis.detections:
        box = Evidence("bounding-box", detection.label, box=detection.box)
        found = matcher.recognise(detection.label)
        if found is None:
            missed.append(Unrecognised(detection.label, (box,)))
            continue
        item = _item(detection.label, found, (box,))
        confidence = round(detection.confidence * found.confidence, 3)
        if detection.grams is not None:
            nutrients = matcher.lookup.nutrients_for(found.food, detection.grams)
            basis = detection.portion_basis or "image"
            item = replace(
                item, grams=detection.grams, quantity=1.0, unit="g", basis=basis,
                nutrients=nutrients,
            )  # fmt: skip
        items.append(replace(item, confidence=confidence))
    if analysis.label is not None:
        items.append(from_label(analysis.label))
    return Recognised("image", tuple(items), tuple(missed), None, analysis.model)


def from_label(label: NutritionLabel) -> IntakeItem:
    """A nutrition-facts panel as an item: one serving, the label's nutrients per serving."""
    nutrients = {
        code: NutrientAmount(code, BY_CODE[code].name, value, BY_CODE[code].unit)
        for code, value in label.nutrients.items()
        if code in BY_CODE
    }
    excerpt = " ".join(label.text.split())[:200]
    return IntakeItem(
        "nutrition label", None, "Packaged food (nutrition label)", label.serving_size_g, 1.0,
        "serving", "label", nutrients, 0.8, (Evidence("bounding-box", excerpt),), label.text,
    )  # fmt: skip
