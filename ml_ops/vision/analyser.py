"""The photo recogniser: region proposals, the ONNX classifier, portions, nutrition panels.

Implements ``ml_ops.recognition.FoodImageAnalyser``. A photo is shrunk to at most
``WORK_SIDE`` pixels (the size the models learnt from), proposals are classified in one
batch, and the confident non-background ones survive a per-food suppression of overlapping
boxes. When no food is found the photo is read as a nutrition-facts panel.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ml_ops import registry
from ml_ops.recognition import Box, Detection, ImageAnalysis, NutritionLabel
from ml_ops.vision import decode, nutrition_label, portion, proposals
from ml_ops.vision.dataset import BACKGROUND
from ml_ops.vision.onnx_classifier import OnnxClassifier
from resources import error_codes
from resources.errors import Invalid, ServiceUnavailable

MODEL_NAME = "food-vision"
WORK_SIDE = 640
MAX_DETECTIONS = 10


@dataclass(frozen=True)
class AnalyserConfig:
    """Run-time settings of the analyser."""

    threshold: float = 0.5
    """Lowest class probability for a proposal to count as a food."""
    default_plate_cm: float | None = None
    """Plate diameter assumed when the request gives none; None: default servings instead."""
    concurrency: int = 2
    wait_s: float = 10.0
    """How long a request waits for a free slot before the 503."""
    read_labels: bool = True


def _crop(rgb: NDArray[np.uint8], box: proposals.Proposal, size: int) -> NDArray[np.uint8]:
    x0, y0, x1, y1 = box
    region = Image.fromarray(rgb[y0:y1, x0:x1])
    return np.asarray(region.resize((size, size), Image.Resampling.BILINEAR), dtype=np.uint8)


def shrink(rgb: NDArray[np.uint8], side: int = WORK_SIDE) -> tuple[NDArray[np.uint8], float]:
    """The photo with its longer side at most ``side`` pixels, and the factor back."""
    height, width = rgb.shape[:2]
    factor = max(height, width) / side
    if factor <= 1:
        return rgb, 1.0
    size = (max(1, round(width / factor)), max(1, round(height / factor)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR)), factor


def select(
    boxes: list[proposals.Proposal],
    probs: NDArray[np.float32],
    classes: tuple[str, ...],
    threshold: float,
) -> list[tuple[str, float, proposals.Proposal]]:
    """Confident food proposals, the best box of each food kept over those overlapping it."""
    best = probs.argmax(axis=1)
    found = [
        (classes[int(label)], float(probs[index, label]), boxes[index])
        for index, label in enumerate(best)
        if classes[int(label)] != BACKGROUND and probs[index, label] >= threshold
    ]
    found.sort(key=lambda item: -item[1])
    kept: list[tuple[str, float, proposals.Proposal]] = []
    for label, confidence, box in found:
        duplicate = any(
            label == other
            and (
                proposals.iou(box, kept_box) > 0.3
                or proposals.contained(box, kept_box) > 0.7
                or proposals.contained(kept_box, box) > 0.7
            )
            for other, _, kept_box in kept
        )
        if not duplicate:
            kept.append((label, confidence, box))
    return kept[:MAX_DETECTIONS]


class VisionAnalyser:
    """``FoodImageAnalyser`` over a registered ``food-vision`` model."""

    def __init__(
        self, classifier: OnnxClassifier, model: str, config: AnalyserConfig | None = None
    ):
        self.classifier = classifier
        self.model = model
        self.config = config or AnalyserConfig()
        self._slots = threading.BoundedSemaphore(self.config.concurrency)

    def analyse(
        self,
        image: bytes,
        media_type: str,
        *,
        plate_diameter_cm: float | None = None,
        depth: bytes | None = None,
    ) -> ImageAnalysis:
        """Foods (and a nutrition panel) in one photo; see ``FoodImageAnalyser``."""
        rgb = decode.decode(image, media_type)
        if not self._slots.acquire(timeout=self.config.wait_s):
            raise ServiceUnavailable(
                "the photo analyser is busy; try again shortly", error_codes.IMAGE_ANALYSER_BUSY
            )
        try:
            return self._analyse(rgb, plate_diameter_cm, depth)
        finally:
            self._slots.release()

    def _analyse(
        self, rgb: NDArray[np.uint8], plate_cm: float | None, depth: bytes | None
    ) -> ImageAnalysis:
        height, width = rgb.shape[:2]
        small, factor = shrink(rgb)
        found = self.detect(small)
        depth_mm = self._depth(depth, width, height) if depth is not None else None
        detections = tuple(
            self._detection(label, conf, box, factor, rgb, plate_cm, depth_mm)
            for label, conf, box in found
        )
        label: NutritionLabel | None = None
        if not detections and self.config.read_labels:
            label = nutrition_label.read_label(
                rgb if max(height, width) <= 1600 else shrink(rgb, 1600)[0]
            )
        return ImageAnalysis(width, height, detections, self.model, label)

    def detect(self, rgb: NDArray[np.uint8]) -> list[tuple[str, float, proposals.Proposal]]:
        """Foods in a photo already at working size: (label, confidence, box) in its pixels."""
        boxes = [
            box for box in proposals.propose(rgb) if box[2] - box[0] >= 8 and box[3] - box[1] >= 8
        ]
        size = self.classifier.input_size
        crops = np.stack([_crop(rgb, box, size) for box in boxes])
        return select(
            boxes,
            self.classifier.probabilities(crops),
            self.classifier.classes,
            self.config.threshold,
        )

    @staticmethod
    def _depth(data: bytes, width: int, height: int) -> NDArray[np.float32]:
        try:
            return portion.read_depth(data, width, height)
        except portion.DepthMapError as error:
            raise Invalid(str(error), error_codes.IMAGE_DEPTH_UNREADABLE) from None

    def _detection(
        self,
        label: str,
        confidence: float,
        small_box: proposals.Proposal,
        factor: float,
        rgb: NDArray[np.uint8],
        plate_cm: float | None,
        depth_mm: NDArray[np.float32] | None,
    ) -> Detection:
        x0, y0, x1, y1 = (value * factor for value in small_box)
        box = Box(round(x0, 1), round(y0, 1), round(x1 - x0, 1), round(y1 - y0, 1))
        height, width = rgb.shape[:2]
        plate = plate_cm or self.config.default_plate_cm
        if depth_mm is not None:
            grams = portion.grams_from_depth(
                label, box, depth_mm, plate or portion.DEFAULT_PLATE_CM
            )
            if grams is not None:
                return Detection(label, round(confidence, 4), box, grams, "depth-map")
        if plate is not None:
            grams = portion.grams_from_area(label, box, width, height, plate)
            return Detection(label, round(confidence, 4), box, grams, "plate-reference")
        return Detection(
            label, round(confidence, 4), box, portion.default_serving(label), "default-serving"
        )


def load(folder: Path, config: AnalyserConfig | None = None) -> VisionAnalyser:
    """The analyser of the newest registered ``food-vision`` model in ``folder``."""
    entry = registry.latest(folder, MODEL_NAME)
    model_path = registry.verified_path(folder, entry, "classifier")
    classes = tuple(str(name) for name in entry.details["classes"])
    classifier = OnnxClassifier(model_path, classes, int(entry.details["input_size"]))
    threshold = float(entry.details.get("threshold", AnalyserConfig.threshold))
    settings = config or AnalyserConfig(threshold=threshold)
    return VisionAnalyser(classifier, entry.reference, settings)


def models_folder() -> Path:
    """Where the shipped models and their registry lie."""
    return Path(__file__).resolve().parent / "models"
