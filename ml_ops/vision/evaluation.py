"""Figures for the model card: crop accuracy per class, the confusion matrix, photo recall.

Crop metrics count the labelled boxes of a split (the background class included as a class
of its own, and also reported on food crops alone). Photo recall runs the served pipeline
(detector and classifier, else proposals and classifier) on whole photos: a labelled food
counts as found when the photo's detections name it; precision counts the detections that
name a food the photo has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ml_ops.vision import dataset, proposals
from ml_ops.vision.analyser import AnalyserConfig, Found, VisionAnalyser, decide, proposed, shrink


def crop_metrics(
    probs: NDArray[np.float32], labels: NDArray[np.int64], classes: tuple[str, ...]
) -> dict[str, Any]:
    """Top-1/top-5 (all crops and food crops), per-class precision/recall, confusion counts."""
    top5 = np.argsort(-probs, axis=1)[:, :5]
    predicted = top5[:, 0]
    food = (
        labels != classes.index(dataset.BACKGROUND)
        if dataset.BACKGROUND in classes
        else np.ones_like(labels, bool)
    )
    confusion = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    in_top5 = (top5 == labels[:, None]).any(axis=1)
    per_class = {}
    for index, name in enumerate(classes):
        support = int(confusion[index].sum())
        called = int(confusion[:, index].sum())
        hits = int(confusion[index, index])
        per_class[name] = {
            "support": support,
            "precision": round(hits / called, 4) if called else None,
            "recall": round(hits / support, 4) if support else None,
            "top5": round(float(in_top5[labels == index].mean()), 4) if support else None,
        }
    return {
        "crops": len(labels),
        "top1": round(float((predicted == labels).mean()), 4),
        "top5": round(float(in_top5.mean()), 4),
        "food_crops": int(food.sum()),
        "food_top1": round(float((predicted[food] == labels[food]).mean()), 4),
        "food_top5": round(float(in_top5[food].mean()), 4),
        "per_class": per_class,
        "confusion": confusion.tolist(),
    }


def plot_confusion(
    confusion: list[list[int]], classes: tuple[str, ...], path: Path, title: str
) -> Path:
    """The confusion matrix as a PNG (rows: true class, columns: predicted; row-normalised)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = np.asarray(confusion, dtype=np.float64)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    figure, axes = plt.subplots(figsize=(12, 11))
    axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    axes.set_xticks(range(len(classes)), classes, rotation=90, fontsize=7)
    axes.set_yticks(range(len(classes)), classes, fontsize=7)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title)
    for (row, column), value in np.ndenumerate(counts):
        if value:
            colour = "white" if shares[row, column] > 0.5 else "black"
            axes.text(
                column, row, str(int(value)), ha="center", va="center", fontsize=5, color=colour
            )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


@dataclass(frozen=True)
class PhotoScore:
    """What the served pipeline saw in one photo, before its thresholds are applied."""

    truth: set[str]
    detected: Found
    detected_probs: NDArray[np.float32]
    boxes: list[proposals.Proposal]
    probs: NDArray[np.float32]

    def labels(self, classes: tuple[str, ...], config: AnalyserConfig) -> set[str]:
        """The foods the pipeline names at ``config``'s thresholds."""
        found = decide(
            self.detected, self.detected_probs, lambda: (self.boxes, self.probs), classes, config
        )
        return {label for label, _, _ in found}


def score_photos(
    analyser: VisionAnalyser, root: Path, split: str, limit: int | None = None
) -> list[PhotoScore]:
    """For each photo of a split: its labelled foods, and the detector's boxes and the region
    proposals with the classifier's probabilities (all of them, at the lowest floor)."""
    classes = dataset.class_names(root)
    out = []
    for number, photo in enumerate(dataset.photos(root, split)):
        if limit is not None and number >= limit:
            break
        with Image.open(photo.image) as opened:
            rgb, _ = shrink(np.asarray(opened.convert("RGB"), dtype=np.uint8))
        detected = analyser.detected(rgb)
        boxes = proposed(rgb)
        out.append(
            PhotoScore(
                {classes[box.class_id] for box in photo.boxes},
                detected,
                analyser.probabilities(rgb, [box for _, _, box in detected]),
                boxes,
                analyser.probabilities(rgb, boxes),
            )
        )
    return out


def photo_recall(
    scores: list[PhotoScore], classes: tuple[str, ...], config: AnalyserConfig
) -> dict[str, float]:
    """Food recall and precision over photos at one setting of the thresholds."""
    wanted = found = named = 0
    for score in scores:
        labels = score.labels(classes, config)
        wanted += len(score.truth)
        found += len(score.truth & labels)
        named += len(labels)
    recall = found / wanted if wanted else 0.0
    precision = found / named if named else 0.0
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    return {
        "threshold": config.threshold,
        "detector_threshold": config.detector_threshold,
        "recall": round(recall, 4),
        "precision": round(precision, 4),
        "f1": round(f1, 4),
    }


THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def pick_thresholds(
    scores: list[PhotoScore],
    classes: tuple[str, ...],
    with_detector: bool,
    log: Callable[[str], None] = print,
) -> AnalyserConfig:
    """The classifier's (and the detector's) threshold with the best F1 on ``scores`` (the
    validation photos)."""
    detector_thresholds = THRESHOLDS if with_detector else (AnalyserConfig.detector_threshold,)
    results = [
        photo_recall(scores, classes, AnalyserConfig(threshold=t, detector_threshold=d))
        for t in THRESHOLDS
        for d in detector_thresholds
    ]
    for result in results:
        log(f"validation photos: {result}")
    best = max(results, key=lambda r: r["f1"])
    return AnalyserConfig(
        threshold=best["threshold"], detector_threshold=best["detector_threshold"]
    )


def tune(
    served: VisionAnalyser, data: Path, limit: int | None = None, log: Callable[[str], None] = print
) -> tuple[AnalyserConfig, dict[str, float]]:
    """Thresholds picked on the validation photos, and the test photos' figures at them."""
    classes = served.classifier.classes
    config = pick_thresholds(
        score_photos(served, data, "valid", limit), classes, served.detector is not None, log
    )
    return config, photo_recall(score_photos(served, data, "test", limit), classes, config)
