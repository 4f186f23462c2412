"""The photo recogniser: the ONNX detector and classifier, portions, nutrition panels.

Implements ``ml_ops.recognition.FoodImageAnalyser``. A photo is shrunk to at most
``WORK_SIDE`` pixels (the size the models learnt from). The detector's boxes are classified
in one batch; a box counts as a food when the classifier is confident of it, or when the
detector itself is; overlapping boxes of one food are suppressed. When that finds nothing
(or no detector is registered), the region proposals of ``proposals`` are classified instead,
and when they find nothing either the photo is read as a nutrition-facts panel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
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
from ml_ops.vision.onnx_detector import OnnxDetector
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
    detector_threshold: float = 0.5
    """Lowest detector score for a box to count as the food the detector names."""
    detector_floor: float = 0.05
    """Lowest detector score for a box to be shown to the classifier at all."""
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


def _big_enough(box: proposals.Proposal) -> bool:
    return box[2] - box[0] >= 8 and box[3] - box[1] >= 8


def proposed(rgb: NDArray[np.uint8]) -> list[proposals.Proposal]:
    """The region proposals of a photo at working size, tiny ones left out."""
    return [box for box in proposals.propose(rgb) if _big_enough(box)]


def shrink(rgb: NDArray[np.uint8], side: int = WORK_SIDE) -> tuple[NDArray[np.uint8], float]:
    """The photo with its longer side at most ``side`` pixels, and the factor back."""
    height, width = rgb.shape[:2]
    factor = max(height, width) / side
    if factor <= 1:
        return rgb, 1.0
    size = (max(1, round(width / factor)), max(1, round(height / factor)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR)), factor


Found = list[tuple[str, float, proposals.Proposal]]
"""Foods in a photo: (label, confidence, box in its pixels)."""


def select(
    boxes: list[proposals.Proposal],
    probs: NDArray[np.float32],
    classes: tuple[str, ...],
    threshold: float,
) -> Found:
    """Confident food proposals, the best box of each food kept over those overlapping it."""
    return suppress(_confident(boxes, probs, classes, threshold))


def _confident(
    boxes: list[proposals.Proposal],
    probs: NDArray[np.float32],
    classes: tuple[str, ...],
    threshold: float,
) -> Found:
    best = probs.argmax(axis=1)
    return [
        (classes[int(label)], float(probs[index, label]), boxes[index])
        for index, label in enumerate(best)
        if classes[int(label)] != BACKGROUND and probs[index, label] >= threshold
    ]


def combine(
    detected: Found,
    probs: NDArray[np.float32],
    classes: tuple[str, ...],
    config: AnalyserConfig,
) -> Found:
    """Foods in the detector's boxes: the classifier's label where it is confident of a box
    (``probs``, one row per box), the detector's own where its score passes its threshold."""
    boxes = [box for _, _, box in detected]
    by_detector = [item for item in detected if item[1] >= config.detector_threshold]
    return suppress(_confident(boxes, probs, classes, config.threshold) + by_detector)


def decide(
    detected: Found,
    probs: NDArray[np.float32],
    fallback: Callable[[], tuple[list[proposals.Proposal], NDArray[np.float32]]],
    classes: tuple[str, ...],
    config: AnalyserConfig,
) -> Found:
    """The foods of a photo: from the detector's boxes (``probs``: the classifier's, one row
    per box), else from the region proposals and their probabilities that ``fallback`` gives."""
    found = combine(detected, probs, classes, config) if detected else []
    if found:
        return found
    boxes, box_probs = fallback()
    return select(boxes, box_probs, classes, config.threshold)


def suppress(found: Found) -> Found:
    """The most confident box of each food over the boxes of that food overlapping it."""
    found = sorted(found, key=lambda item: -item[1])
    kept: Found = []
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
        self,
        classifier: OnnxClassifier,
        model: str,
        config: AnalyserConfig | None = None,
        detector: OnnxDetector | None = None,
    ):
        self.classifier = classifier
        self.detector = detector
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

    def detect(self, rgb: NDArray[np.uint8]) -> Found:
        """Foods in a photo already at working size: (label, confidence, box) in its pixels."""
        detected = self.detected(rgb)

        def fallback() -> tuple[list[proposals.Proposal], NDArray[np.float32]]:
            boxes = proposed(rgb)
            return boxes, self.probabilities(rgb, boxes)

        probs = self.probabilities(rgb, [box for _, _, box in detected])
        return decide(detected, probs, fallback, self.classifier.classes, self.config)

    def detected(self, rgb: NDArray[np.uint8]) -> Found:
        """The detector's boxes above its floor, named; none without a detector."""
        if self.detector is None:
            return []
        names = self.detector.classes
        return [
            (names[label], score, box)
            for label, score, box in self.detector.detect(rgb, self.config.detector_floor)
            if _big_enough(box)
        ]

    def probabilities(
        self, rgb: NDArray[np.uint8], boxes: list[proposals.Proposal]
    ) -> NDArray[np.float32]:
        """The classifier's probabilities for the crops of ``boxes``, one batch."""
        size = self.classifier.input_size
        if not boxes:
            return self.classifier.probabilities(np.zeros((0, size, size, 3), np.uint8))
        return self.classifier.probabilities(np.stack([_crop(rgb, box, size) for box in boxes]))

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
    details = entry.details
    settings = config or AnalyserConfig(
        threshold=float(details.get("threshold", AnalyserConfig.threshold)),
        detector_threshold=float(
            details.get("detector_threshold", AnalyserConfig.detector_threshold)
        ),
        detector_floor=float(details.get("detector_floor", AnalyserConfig.detector_floor)),
    )
    return VisionAnalyser(
        registered_classifier(folder, entry),
        entry.reference,
        settings,
        registered_detector(folder, entry),
    )


def registered_classifier(folder: Path, entry: registry.ModelEntry) -> OnnxClassifier:
    """The classifier a registered version serves."""
    return OnnxClassifier(
        registry.verified_path(folder, entry, "classifier"),
        tuple(str(name) for name in entry.details["classes"]),
        int(entry.details["input_size"]),
    )


def registered_detector(folder: Path, entry: registry.ModelEntry) -> OnnxDetector | None:
    """The detector a registered version serves, if it has one."""
    if "detector" not in entry.files:
        return None
    return OnnxDetector(
        registry.verified_path(folder, entry, "detector"),
        tuple(str(name) for name in entry.details["detector_classes"]),
        int(entry.details["detector_input_size"]),
    )


def models_folder() -> Path:
    """Where the shipped models and their registry lie."""
    return Path(__file__).resolve().parent / "models"
