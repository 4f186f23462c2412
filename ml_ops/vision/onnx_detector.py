"""The exported YOLOv8n detector served with onnxruntime (no torch or ultralytics at run time).

The graph is ultralytics' ONNX export: input ``images`` (1, 3, S, S), RGB scaled to 0-1 and
letterboxed (resized to fit, centred on grey 114); output (1, 4 + C, A): for each of the A
anchor points a box (centre x, centre y, width, height, in input pixels) and C class scores.
Boxes are kept above a score floor and suppressed per class (non-maximum suppression).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ml_ops.vision.onnx_session import cpu_session
from ml_ops.vision.proposals import Proposal

INPUT_NAME = "images"
PAD_GREY = 114
NMS_IOU = 0.5
MAX_BOXES = 50


@dataclass(frozen=True)
class Letterbox:
    """How a photo was fitted into the square input: scale, then padding on the left and top."""

    scale: float
    pad_x: int
    pad_y: int

    def back(self, x: float, y: float, width: int, height: int) -> tuple[int, int]:
        """A point of the input square in the photo's pixels, clipped to the photo."""
        px = (float(x) - self.pad_x) / self.scale
        py = (float(y) - self.pad_y) / self.scale
        return round(min(max(px, 0.0), width)), round(min(max(py, 0.0), height))


def letterbox(rgb: NDArray[np.uint8], side: int) -> tuple[NDArray[np.uint8], Letterbox]:
    """The photo resized to fit a ``side`` square (aspect kept), centred on grey."""
    import cv2

    height, width = rgb.shape[:2]
    scale = min(side / width, side / height)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    resized = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    pad_x, pad_y = (side - new_w) // 2, (side - new_h) // 2
    square = np.full((side, side, 3), PAD_GREY, dtype=np.uint8)
    square[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = resized
    return square, Letterbox(scale, pad_x, pad_y)


def to_input(square: NDArray[np.uint8]) -> NDArray[np.float32]:
    """HWC uint8 RGB -> (1, 3, S, S) float32 in 0-1, as the detector was trained."""
    return np.ascontiguousarray(square.transpose(2, 0, 1)[None].astype(np.float32) / 255.0)


class OnnxDetector:
    """Boxes of foods in a photo: (class id, score, box in the photo's pixels)."""

    def __init__(self, model: Path, classes: tuple[str, ...], input_size: int, threads: int = 2):
        self.session: Any = cpu_session(model, threads)
        self.path = model
        self.classes = classes
        self.input_size = input_size

    def raw(self, rgb: NDArray[np.uint8]) -> tuple[NDArray[np.float32], Letterbox]:
        """The graph's output (4 + C, A) for one photo, and how the photo was fitted."""
        square, fit = letterbox(rgb, self.input_size)
        (output,) = self.session.run(None, {INPUT_NAME: to_input(square)})
        return np.asarray(output[0], dtype=np.float32), fit

    def detect(self, rgb: NDArray[np.uint8], min_score: float) -> list[tuple[int, float, Proposal]]:
        """Boxes scoring at least ``min_score``, best first, after per-class suppression."""
        output, fit = self.raw(rgb)
        return decode(output, fit, rgb.shape[1], rgb.shape[0], min_score)


def decode(
    output: NDArray[np.float32], fit: Letterbox, width: int, height: int, min_score: float
) -> list[tuple[int, float, Proposal]]:
    """(4 + C, A) scores and centre boxes -> suppressed boxes in the photo's pixels."""
    import cv2

    scores = output[4:]
    best = scores.argmax(axis=0)
    score = scores[best, np.arange(scores.shape[1])]
    keep = np.flatnonzero(score >= min_score)
    if not len(keep):
        return []
    cx, cy, w, h = output[:4, keep]
    corners = np.stack([cx - w / 2, cy - h / 2, w, h], axis=1)
    chosen = cv2.dnn.NMSBoxesBatched(
        corners.tolist(), score[keep].tolist(), best[keep].tolist(), min_score, NMS_IOU
    )
    found = []
    for index in np.asarray(chosen, dtype=np.int64).reshape(-1)[:MAX_BOXES]:
        x, y, bw, bh = corners[index]
        x0, y0 = fit.back(x, y, width, height)
        x1, y1 = fit.back(x + bw, y + bh, width, height)
        if x1 > x0 and y1 > y0:
            found.append((int(best[keep[index]]), float(score[keep[index]]), (x0, y0, x1, y1)))
    found.sort(key=lambda item: -item[1])
    return found
