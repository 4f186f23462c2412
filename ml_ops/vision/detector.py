"""The YOLOv8n detector, trained with ultralytics from its yaml (never from downloaded weights).

On a CPU a few epochs at a small size only get the detector started (mAP50 around 0.01); the
served detector was trained on a GPU within a time budget (``DetectorConfig.hours``; see
docs/vision.md). ``detector_export`` turns the weights into the served ONNX model.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ml_ops.vision import dataset, offline

RUN_RECORD = "detector/run.json"
"""The training run's settings and duration, beside its weights in the work folder."""


@dataclass(frozen=True)
class DetectorConfig:
    """How the detector is trained."""

    epochs: int = 2
    image_size: int = 320
    batch_size: int = 16
    fraction: float = 1.0
    """Share of the training photos used (tests use a tiny one)."""
    seed: int = 0
    device: str = "cpu"
    """``cpu``, or a CUDA device index such as ``0``."""
    workers: int = 0
    """Data-loading processes (0 loads in the training process)."""
    hours: float | None = None
    """A time budget: when set, ultralytics fits the number of epochs to it after the first."""
    optimizer: str = "auto"
    learning_rate: float = 0.01
    """Initial learning rate; ``optimizer="auto"`` chooses its own."""
    cache: bool = False
    """Keep the decoded photos in memory between epochs."""


def mirror(data: Path, work: Path) -> Path:
    """A folder of links to the dataset's splits, so ultralytics' label caches land in ``work``
    and not in the (shared, read-only in spirit) data folder. Returns its data.yaml."""
    root = work / "yolo-data"
    for split in dataset.SPLITS:
        for part in ("images", "labels"):
            _link_files(data / split / part, root / split / part)
    names = dataset.class_names(data)
    lines = ["train: train/images", "val: valid/images", "test: test/images", f"nc: {len(names)}"]
    lines.append("names: [" + ", ".join(f"'{name}'" for name in names) + "]")
    yaml_path = root / "data.yaml"
    yaml_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return yaml_path


def _link_files(source: Path, target: Path) -> None:
    """A real folder of per-file links: ultralytics resolves folder links, and would then
    write its caches beside the originals."""
    target.mkdir(parents=True, exist_ok=True)
    if not source.is_dir():
        return
    for path in source.iterdir():
        link = target / path.name
        if not link.exists():
            link.symlink_to(path.resolve())


def train(data: Path, work: Path, config: DetectorConfig) -> tuple[Path, dict[str, Any]]:
    """Train YOLOv8n from scratch; returns the best weights and the test split's metrics."""
    weights = fit(data, work, config)
    return weights, evaluate(weights, mirror(data, work), config.image_size)


def fit(data: Path, work: Path, config: DetectorConfig) -> Path:
    """Train YOLOv8n from scratch on the train split (best epoch chosen on the valid split);
    returns the best weights.

    Mixed precision stays off: ultralytics checks it by loading a downloaded ``yolo26n.pt``.
    """
    package = offline.ultralytics()
    data_yaml = mirror(data, work)
    started = time.monotonic()
    model = package.YOLO("yolov8n.yaml")
    model.train(
        data=str(data_yaml),
        epochs=config.epochs,
        time=config.hours,
        imgsz=config.image_size,
        batch=config.batch_size,
        fraction=config.fraction,
        seed=config.seed,
        device=config.device,
        workers=config.workers,
        optimizer=config.optimizer,
        lr0=config.learning_rate,
        cache=config.cache,
        plots=False,
        amp=False,
        pretrained=False,
        project=str(work.resolve()),
        name="detector",
        exist_ok=True,
        verbose=False,
    )
    weights = best_weights(work)
    epochs = len((weights.parent.parent / "results.csv").read_text(encoding="utf-8").splitlines())
    record = {
        "config": asdict(config),
        "epochs_run": epochs - 1,
        "train_seconds": round(time.monotonic() - started, 1),
    }
    (work / RUN_RECORD).write_text(json.dumps(record, indent=2), encoding="utf-8")
    return weights


def best_weights(work: Path) -> Path:
    """Where ``fit`` leaves the weights of the best epoch."""
    return work.resolve() / "detector" / "weights" / "best.pt"


def evaluate(weights: Path, data_yaml: Path, image_size: int) -> dict[str, Any]:
    """mAP50 and mAP50-95 on the test split, overall and per class."""
    package = offline.ultralytics()
    model = package.YOLO(str(weights))
    metrics = model.val(
        data=str(data_yaml),
        split="test",
        imgsz=image_size,
        device="cpu",
        workers=0,
        plots=False,
        verbose=False,
        project=str(weights.parent.parent),
        name="test",
        exist_ok=True,
    )
    names = model.names
    per_class = {
        names[int(index)]: round(float(value), 4)
        for index, value in zip(metrics.box.ap_class_index, metrics.box.ap50, strict=True)
    }
    return {
        "map50": round(float(metrics.box.map50), 4),
        "map50_95": round(float(metrics.box.map), 4),
        "map50_per_class": per_class,
    }
