"""``ml export``: the torch classifier to ONNX, optionally int8, checked against the original.

Static int8 quantisation (QDQ, per channel, calibrated on training crops) suits
EfficientNet-Lite, which was designed for it (ReLU6, no squeeze-excitation). The exported
graph is always compared with the torch network on crops of real photos: a layer exported
wrongly (an activation swapped, a padding lost) shows as a disagreement there.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ml_ops.vision.onnx_classifier import INPUT_NAME, OUTPUT_NAME, OnnxClassifier, normalise

OPSET = 17


@dataclass(frozen=True)
class Agreement:
    """How closely the ONNX model follows the torch one on the same crops."""

    crops: int
    max_abs_prob_diff: float
    top1_agreement: float


def onnx_export(module: Any, path: Path, input_size: int, names: tuple[str, str]) -> Path:
    """Trace ``module`` on one (1, 3, S, S) input and write it with a dynamic batch axis."""
    import torch

    module.eval()
    sample = torch.zeros(1, 3, input_size, input_size)
    with warnings.catch_warnings():
        # The TorchScript exporter is used on purpose (the torch.export one needs onnxscript,
        # not a dependency; this graph is static): torch warns that it is the legacy one, and
        # that it cannot fold the padding modules' slices into constants. The graph is still
        # exact: ``compare`` checks it on real photos.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            module,
            (sample,),
            str(path),
            input_names=[names[0]],
            output_names=[names[1]],
            dynamic_axes={names[0]: {0: "batch"}, names[1]: {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )
    return path


def to_onnx(model: Any, path: Path, input_size: int) -> Path:
    """Export the classifier with a dynamic batch axis."""
    return onnx_export(model, path, input_size, (INPUT_NAME, OUTPUT_NAME))


class _Calibration:
    """Feeds calibration crops to onnxruntime's static quantiser, one batch at a time."""

    def __init__(self, crops: NDArray[np.uint8], batch: int = 16) -> None:
        self.batches = iter([normalise(crops[i : i + batch]) for i in range(0, len(crops), batch)])

    def get_next(self) -> dict[str, NDArray[np.float32]] | None:
        batch = next(self.batches, None)
        return None if batch is None else {INPUT_NAME: batch}


def quantise(source: Path, target: Path, calibration: NDArray[np.uint8]) -> Path:
    """Static int8 (QDQ, per-channel weights) calibrated on ``calibration`` crops."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared = target.with_suffix(".pre.onnx")
    quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
    quantize_static(
        str(prepared),
        str(target),
        _Calibration(calibration),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        weight_type=QuantType.QInt8,
        activation_type=QuantType.QUInt8,
    )
    prepared.unlink()
    return target


def compare(
    torch_probs: NDArray[np.float32], onnx_model: OnnxClassifier, crops: NDArray[np.uint8]
) -> Agreement:
    """Agreement of the ONNX model with the torch probabilities for the same crops."""
    onnx_probs = onnx_model.probabilities(crops)
    diff = float(np.abs(onnx_probs - torch_probs).max()) if len(crops) else 0.0
    same = float((onnx_probs.argmax(1) == torch_probs.argmax(1)).mean()) if len(crops) else 1.0
    return Agreement(len(crops), round(diff, 6), round(same, 4))
