"""Crop metrics: top-1 and top-5 overall, on food crops, and per class."""

from __future__ import annotations

import numpy as np

from ml_ops.vision.evaluation import crop_metrics

CLASSES = ("a", "b", "c", "d", "e", "f", "background")


def test_top1_and_top5_are_reported_per_class() -> None:
    # class a: right once, and once only sixth; class b: second choice (top-5, not top-1)
    probs = np.array(
        [
            [0.70, 0.1, 0.1, 0.05, 0.03, 0.02, 0.0],  # a, right
            [0.00, 0.1, 0.2, 0.2, 0.2, 0.2, 0.1],  # a, sixth of seven
            [0.60, 0.3, 0.1, 0.0, 0.0, 0.0, 0.0],  # b, second
            [0.10, 0.0, 0.0, 0.0, 0.0, 0.0, 0.9],  # background, right
        ],
        dtype=np.float32,
    )
    labels = np.array([0, 0, 1, 6])
    metrics = crop_metrics(probs, labels, CLASSES)
    a, b = metrics["per_class"]["a"], metrics["per_class"]["b"]
    assert (a["support"], a["recall"], a["top5"], a["precision"]) == (2, 0.5, 0.5, 0.5)
    assert (b["support"], b["recall"], b["top5"], b["precision"]) == (1, 0.0, 1.0, None)
    assert metrics["per_class"]["c"]["top5"] is None  # no crop of it
    assert (metrics["top1"], metrics["top5"]) == (0.5, 0.75)
    assert (metrics["food_crops"], metrics["food_top1"]) == (3, round(1 / 3, 4))
