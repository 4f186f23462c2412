"""What the recognisers hand to ``$analyze-food``: foods seen in a photo, words heard in a clip.

The photo and voice pipelines never match foods themselves: a detection carries an English
food word (its class name) and a transcript carries text; both go through the same text
matcher against the food database, so a food is recognised the same way whatever the input.

The server offers each recogniser to the operation as a service by name
(``SERVICE_IMAGE``, ``SERVICE_SPEECH``); when one is missing the operation answers 503.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

SERVICE_IMAGE = "food-image-analyser"
SERVICE_SPEECH = "speech-recogniser"


@dataclass(frozen=True)
class Box:
    """A rectangle in image pixels, origin at the top left."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Detection:
    """One food found in a photo."""

    label: str
    """The class name, an English food word the text matcher understands ("almond")."""
    confidence: float
    box: Box
    grams: float | None = None
    """The estimated portion, or None when nothing allowed an estimate."""
    portion_basis: str = ""
    """How ``grams`` was estimated ("plate-reference", "depth-map", "default-serving")."""


@dataclass(frozen=True)
class NutritionLabel:
    """A nutrition-facts panel read from a photo."""

    text: str
    """Everything the OCR read, for the evidence."""
    serving_size_g: float | None
    nutrients: Mapping[str, float]
    """Per serving, keyed by the nutrient codes of ``terminology.foods`` (``NutrientAmount.code``),
    in that code's unit."""


@dataclass(frozen=True)
class ImageAnalysis:
    """What one photo showed."""

    width: int
    height: int
    detections: tuple[Detection, ...]
    model: str
    """The registered model that produced it, ``name@version``."""
    label: NutritionLabel | None = None


@dataclass(frozen=True)
class TranscriptSegment:
    """A stretch of speech with its place in the clip."""

    text: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Transcript:
    """What a voice clip said, numbers written as digits ("two eggs" -> "2 eggs")."""

    text: str
    language: str
    segments: tuple[TranscriptSegment, ...] = field(default=())
    model: str = ""
    alternatives: tuple[str, ...] = field(default=())
    """Other readings of the whole clip that the recogniser found nearly as likely, most likely
    first, numbers as digits (empty when it offers none)."""


class FoodImageAnalyser(Protocol):
    """Finds foods (and nutrition labels) in a photo.

    Raises ``resources.errors.Invalid``/``UnsupportedMediaType`` for bytes that are not an
    image it can read, and ``ServiceUnavailable`` when overloaded.
    """

    def analyse(
        self,
        image: bytes,
        media_type: str,
        *,
        plate_diameter_cm: float | None = None,
        depth: bytes | None = None,
    ) -> ImageAnalysis: ...


class SpeechRecogniser(Protocol):
    """Turns a voice clip into text.

    Raises ``resources.errors.Invalid``/``UnsupportedMediaType`` for audio it cannot decode,
    ``NotSupported`` for a language it does not speak, ``ServiceUnavailable`` when overloaded.
    """

    def transcribe(self, audio: bytes, media_type: str, language: str) -> Transcript: ...
