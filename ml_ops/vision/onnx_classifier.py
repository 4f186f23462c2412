"""The exported classifier served with onnxruntime (no torch at run time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ml_ops.vision.onnx_session import cpu_session

INPUT_NAME = "crops"
OUTPUT_NAME = "logits"


def normalise(images: NDArray[np.uint8]) -> NDArray[np.float32]:
    """NHWC uint8 RGB -> NCHW float32 scaled as the Lite weights expect: (x - 127) / 128."""
    scaled = (images.astype(np.float32) - 127.0) / 128.0
    return np.ascontiguousarray(scaled.transpose(0, 3, 1, 2))


def softmax(logits: NDArray[np.float32]) -> NDArray[np.float32]:
    """Row-wise softmax, stable for large logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    probabilities: NDArray[np.float32] = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
    return probabilities


class OnnxClassifier:
    """Class probabilities for square RGB crops of ``input_size`` pixels."""

    def __init__(self, model: Path, classes: tuple[str, ...], input_size: int, threads: int = 2):
        self.session: Any = cpu_session(model, threads)
        self.classes = classes
        self.input_size = input_size

    def probabilities(self, crops: NDArray[np.uint8]) -> NDArray[np.float32]:
        """(N, C) probabilities for crops (N, S, S, 3)."""
        if len(crops) == 0:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        (logits,) = self.session.run([OUTPUT_NAME], {INPUT_NAME: normalise(crops)})
        return softmax(np.asarray(logits, dtype=np.float32))
