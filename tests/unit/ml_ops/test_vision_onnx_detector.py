"""Decoding the detector's output: letterbox geometry, score floor, per-class suppression; and
how the analyser combines the detector's boxes with the classifier's view of them."""

from __future__ import annotations

import numpy as np

from ml_ops.vision import analyser
from ml_ops.vision.onnx_detector import PAD_GREY, decode, letterbox

CLASSES = ("apple", "egg", "background")


def _output(boxes: list[tuple[float, float, float, float, int, float]]) -> np.ndarray:
    """A (4 + 2, A) output: one anchor per (cx, cy, w, h, class, score)."""
    out = np.zeros((6, len(boxes)), dtype=np.float32)
    for index, (cx, cy, w, h, label, score) in enumerate(boxes):
        out[:4, index] = (cx, cy, w, h)
        out[4 + label, index] = score
    return out


def test_a_wide_photo_is_centred_on_grey_and_boxes_map_back_to_its_pixels() -> None:
    photo = np.full((100, 200, 3), 7, dtype=np.uint8)
    square, fit = letterbox(photo, 100)
    assert square.shape == (100, 100, 3)
    assert (fit.scale, fit.pad_x, fit.pad_y) == (0.5, 0, 25)
    assert (square[:25] == PAD_GREY).all()
    assert (square[75:] == PAD_GREY).all()
    assert (square[25:75] == 7).all()
    # a box filling the photo's part of the square is the whole photo again
    found = decode(_output([(50, 50, 100, 50, 1, 0.9)]), fit, 200, 100, 0.1)
    assert [(label, round(score, 3), box) for label, score, box in found] == [
        (1, 0.9, (0, 0, 200, 100))
    ]


def test_low_scores_are_dropped_and_overlaps_of_one_class_suppressed() -> None:
    output = _output(
        [
            (50, 50, 40, 40, 0, 0.8),  # apple
            (52, 50, 40, 40, 0, 0.6),  # the same apple again: suppressed
            (52, 50, 40, 40, 1, 0.7),  # an egg in the same place: another class, kept
            (150, 150, 20, 20, 0, 0.04),  # under the floor
        ]
    )
    fit = letterbox(np.zeros((200, 200, 3), np.uint8), 200)[1]
    found = decode(output, fit, 200, 200, 0.05)
    assert [(label, round(score, 2)) for label, score, _ in found] == [(0, 0.8), (1, 0.7)]
    assert found[0][2] == (30, 30, 70, 70)


def _probs(*rows: tuple[float, float, float]) -> np.ndarray:
    return np.array(rows, dtype=np.float32)


CONFIG = analyser.AnalyserConfig(threshold=0.5, detector_threshold=0.8)


def _no_fallback() -> tuple[list[tuple[int, int, int, int]], np.ndarray]:
    raise AssertionError("the proposals are not needed when the detector's boxes name a food")


def test_a_box_is_a_food_when_the_classifier_or_the_detector_is_sure_of_it() -> None:
    detected = [
        ("egg", 0.3, (0, 0, 50, 50)),  # the classifier says apple: apple
        ("egg", 0.9, (60, 60, 90, 90)),  # the detector is sure: egg
        ("apple", 0.2, (100, 0, 150, 50)),  # nobody is sure: nothing
    ]
    probs = _probs((0.9, 0.05, 0.05), (0.1, 0.2, 0.7), (0.3, 0.3, 0.4))
    found = analyser.decide(detected, probs, _no_fallback, CLASSES, CONFIG)
    assert sorted((label, box) for label, _, box in found) == [
        ("apple", (0, 0, 50, 50)),
        ("egg", (60, 60, 90, 90)),
    ]


def test_the_proposals_are_classified_when_the_detector_finds_no_food() -> None:
    detected = [("egg", 0.3, (0, 0, 50, 50))]
    proposals = [(0, 0, 100, 100)]

    def fallback() -> tuple[list[tuple[int, int, int, int]], np.ndarray]:
        return proposals, _probs((0.1, 0.85, 0.05))

    found = analyser.decide(detected, _probs((0.2, 0.2, 0.6)), fallback, CLASSES, CONFIG)
    assert [(label, box) for label, _, box in found] == [("egg", (0, 0, 100, 100))]
    assert analyser.decide([], _probs(), fallback, CLASSES, CONFIG)[0][0] == "egg"
