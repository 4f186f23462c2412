"""``ml train vision``: crops from the labelled boxes, then the classifier (and the detector).

Everything training produces goes to a work folder (``build/ml/vision`` by default): the crop
cache, the torch checkpoint and ``train.json``. ``ml evaluate`` and ``ml export`` read it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ml_ops.vision import classifier, dataset

CHECKPOINT = "classifier.pt"
TRAIN_RECORD = "train.json"


def crop_sets(
    data: Path, work: Path, size: int, limit: int | None = None
) -> dict[str, tuple[NDArray[np.uint8], NDArray[np.int64]]]:
    """Train (with background regions), valid and test crops; cached in ``work`` as .npz."""
    cache = work / f"crops-{size}-{limit or 'all'}.npz"
    if cache.is_file():
        stored = np.load(cache)
        return {split: (stored[f"{split}_x"], stored[f"{split}_y"]) for split in dataset.SPLITS}
    background_id = len(dataset.class_names(data))
    sets = {}
    for split in dataset.SPLITS:
        images, labels = dataset.crops(data, split, size, limit)
        extra = dataset.background_crops(data, split, size, limit)
        sets[split] = (
            np.concatenate([images, extra]),
            np.concatenate([labels, np.full(len(extra), background_id, dtype=np.int64)]),
        )
    work.mkdir(parents=True, exist_ok=True)
    arrays = {f"{split}_{part}": sets[split][i] for split in sets for i, part in enumerate("xy")}
    np.savez(cache, **arrays)  # type: ignore[arg-type]
    return sets


def names_with_background(data: Path) -> tuple[str, ...]:
    """The dataset's class names plus the background class, by class id."""
    return (*dataset.class_names(data), dataset.BACKGROUND)


def train_classifier(
    data: Path,
    work: Path,
    config: classifier.TrainConfig,
    limit: int | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train on the train crops, save the checkpoint and ``train.json``; returns the record."""
    import torch

    names = names_with_background(data)
    sets = crop_sets(data, work, config.input_size, limit)
    images, labels = sets["train"]
    log(f"{len(labels)} training crops, {len(names)} classes")
    result = classifier.train(images, labels, len(names), config, log)
    torch.save(result.model.state_dict(), work / CHECKPOINT)
    record = {
        "architecture": classifier.ARCHITECTURE,
        "classes": list(names),
        "config": asdict(config),
        "epoch_losses": result.epoch_losses,
        "train_seconds": round(result.seconds, 1),
        "train_crops": len(labels),
        "data_hash": dataset.data_hash(data),
        "data": str(data),
        "limit": limit,
    }
    (work / TRAIN_RECORD).write_text(json.dumps(record, indent=2), encoding="utf-8")
    return record


def load_checkpoint(work: Path) -> tuple[Any, dict[str, Any]]:
    """The trained torch network and its ``train.json`` record."""
    import torch

    record: dict[str, Any] = json.loads((work / TRAIN_RECORD).read_text(encoding="utf-8"))
    config = record["config"]
    model = classifier.build(len(record["classes"]), False, config["input_size"])
    model.load_state_dict(torch.load(work / CHECKPOINT, map_location="cpu", weights_only=True))
    model.eval()
    return model, record
