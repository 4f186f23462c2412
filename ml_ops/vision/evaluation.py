"""Figures for the model card: crop accuracy per class, the confusion matrix, photo recall.

Crop metrics count the labelled boxes of a split (the background class included as a class
of its own, and also reported on food crops alone). Photo recall runs the served pipeline
(proposals plus classifier) on whole photos: a labelled food counts as found when the
photo's detections name it; precision counts the detections that name a food the photo has.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ml_ops.vision import dataset, proposals
from ml_ops.vision.analyser import VisionAnalyser, select, shrink


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
    per_class = {}
    for index, name in enumerate(classes):
        support = int(confusion[index].sum())
        called = int(confusion[:, index].sum())
        hits = int(confusion[index, index])
        per_class[name] = {
            "support": support,
            "precision": round(hits / called, 4) if called else None,
            "recall": round(hits / support, 4) if support else None,
        }
    in_top5 = (top5 == labels[:, None]).any(axis=1)
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


PhotoScores = list[tuple[set[str], list[proposals.Proposal], NDArray[np.float32]]]


def score_photos(
    analyser: VisionAnalyser, root: Path, split: str, limit: int | None = None
) -> PhotoScores:
    """For each photo of a split: its labelled foods, its proposals and their probabilities."""
    classes = dataset.class_names(root)
    out: PhotoScores = []
    for number, photo in enumerate(dataset.photos(root, split)):
        if limit is not None and number >= limit:
            break
        with Image.open(photo.image) as opened:
            rgb, _ = shrink(np.asarray(opened.convert("RGB"), dtype=np.uint8))
        boxes = [b for b in proposals.propose(rgb) if b[2] - b[0] >= 8 and b[3] - b[1] >= 8]
        crops = np.stack([_resize(rgb, box, analyser.classifier.input_size) for box in boxes])
        truth = {classes[box.class_id] for box in photo.boxes}
        out.append((truth, boxes, analyser.classifier.probabilities(crops)))
    return out


def _resize(rgb: NDArray[np.uint8], box: proposals.Proposal, size: int) -> NDArray[np.uint8]:
    region = Image.fromarray(rgb[box[1] : box[3], box[0] : box[2]])
    return np.asarray(region.resize((size, size), Image.Resampling.BILINEAR), dtype=np.uint8)


def photo_recall(
    scores: PhotoScores, classes: tuple[str, ...], threshold: float
) -> dict[str, float]:
    """Food recall and precision over photos at one confidence threshold."""
    wanted = found = named = right = 0
    for truth, boxes, probs in scores:
        labels = {label for label, _, _ in select(boxes, probs, classes, threshold)}
        wanted += len(truth)
        found += len(truth & labels)
        named += len(labels)
        right += len(labels & truth)
    recall = found / wanted if wanted else 0.0
    precision = right / named if named else 0.0
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    return {
        "threshold": threshold,
        "recall": round(recall, 4),
        "precision": round(precision, 4),
        "f1": round(f1, 4),
    }


def pick_threshold(
    scores: PhotoScores, classes: tuple[str, ...], log: Callable[[str], None] = print
) -> float:
    """The threshold with the best F1 on ``scores`` (the validation photos)."""
    results = [photo_recall(scores, classes, t) for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)]
    for result in results:
        log(f"validation photos at {result['threshold']}: {result}")
    return float(max(results, key=lambda r: r["f1"])["threshold"])
