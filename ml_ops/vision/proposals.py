"""Region proposals for the classifier, used when the detector's boxes name no food.

Two sources: a fixed multi-scale grid (whole photo, five half-size windows, nine third-size
windows), which covers foods that fill the photo or a part of it; and the connected
components of a colour-saliency mask (pixels far in Lab space from the photo's border
colour), which gives tighter boxes for foods on a plain table or plate. Proposals are in
pixels, ``(x0, y0, x1, y1)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

MASK_SIZE = 128
"""The saliency mask is computed on a photo shrunk to this size: boxes need no finer grid."""
MIN_COMPONENT_SHARE = 0.01
MAX_COMPONENTS = 8

Proposal = tuple[int, int, int, int]


def grid(width: int, height: int) -> list[Proposal]:
    """The whole photo, five half-size windows (corners and centre) and a 3x3 grid of thirds."""
    boxes: list[Proposal] = [(0, 0, width, height)]
    half_w, half_h = width // 2, height // 2
    for x, y in ((0, 0), (half_w, 0), (0, half_h), (half_w, half_h), (width // 4, height // 4)):
        boxes.append((x, y, x + half_w, y + half_h))
    third_w, third_h = width // 3, height // 3
    for row in range(3):
        for column in range(3):
            x, y = column * third_w, row * third_h
            boxes.append((x, y, x + third_w, y + third_h))
    return boxes


def saliency_mask(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Pixels that differ in colour from the photo's border (the table), as a 0/255 mask."""
    import cv2

    small = cv2.resize(rgb, (MASK_SIZE, MASK_SIZE), interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    distance = np.linalg.norm(lab - np.median(border, axis=0), axis=2)
    scaled = np.clip(distance * (255.0 / max(float(distance.max()), 1.0)), 0, 255).astype(np.uint8)
    _, mask = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    kernel = np.ones((3, 3), np.uint8)
    return np.asarray(cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel), dtype=np.uint8)


def components(rgb: NDArray[np.uint8]) -> list[Proposal]:
    """Boxes of the largest salient regions, in the photo's pixels."""
    import cv2

    height, width = rgb.shape[:2]
    mask = saliency_mask(rgb)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    regions = [stats[index] for index in range(1, count)]
    regions = [r for r in regions if r[4] >= MIN_COMPONENT_SHARE * MASK_SIZE * MASK_SIZE]
    regions.sort(key=lambda r: -int(r[4]))
    sx, sy = width / MASK_SIZE, height / MASK_SIZE
    boxes = []
    for x, y, w, h, _ in regions[:MAX_COMPONENTS]:
        boxes.append((int(x * sx), int(y * sy), int((x + w) * sx), int((y + h) * sy)))
    return boxes


def propose(rgb: NDArray[np.uint8]) -> list[Proposal]:
    """Grid windows plus salient regions for one RGB photo (H, W, 3)."""
    height, width = rgb.shape[:2]
    return grid(width, height) + components(rgb)


def iou(a: Proposal, b: Proposal) -> float:
    """Intersection over union of two pixel boxes."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def contained(inner: Proposal, outer: Proposal) -> float:
    """The share of ``inner`` that lies inside ``outer``."""
    width = min(inner[2], outer[2]) - max(inner[0], outer[0])
    height = min(inner[3], outer[3]) - max(inner[1], outer[1])
    area = (inner[2] - inner[0]) * (inner[3] - inner[1])
    return max(0, width) * max(0, height) / area if area > 0 else 0.0
