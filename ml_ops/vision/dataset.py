"""A YOLO-format photo dataset (``data.yaml`` plus ``{split}/images`` and ``{split}/labels``).

The classifier learns from crops of the labelled boxes; the detector reads the folder as is.
The training-data hash that the model registry records covers the label files and the image
bytes, so a changed photo or label changes the hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

SPLITS = ("train", "valid", "test")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
CROP_MARGIN = 0.1
"""Context added around a box on each side, as a fraction of its size: the classifier then
sees a little of what surrounds the food, as it does on the proposals at run time."""


@dataclass(frozen=True)
class LabelledBox:
    """One labelled box in normalised YOLO coordinates (centre, size; 0-1)."""

    class_id: int
    cx: float
    cy: float
    width: float
    height: float


@dataclass(frozen=True)
class LabelledPhoto:
    """A photo of one split with its boxes."""

    image: Path
    split: str
    boxes: tuple[LabelledBox, ...]


class DatasetError(ValueError):
    """The folder is not a YOLO dataset this pipeline can read."""


def class_names(root: Path) -> tuple[str, ...]:
    """The class names of ``data.yaml``, by class id."""
    import yaml  # PyYAML comes with ultralytics; only training reads data.yaml

    path = root / "data.yaml"
    if not path.is_file():
        raise DatasetError(f"{root} has no data.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    names = data.get("names") if isinstance(data, dict) else None
    if isinstance(names, dict):
        names = [names[key] for key in sorted(names)]
    if not isinstance(names, list) or not names:
        raise DatasetError(f"{path} has no class names")
    return tuple(str(name) for name in names)


def read_labels(path: Path) -> tuple[LabelledBox, ...]:
    """The boxes of one YOLO label file (missing file: no boxes)."""
    if not path.is_file():
        return ()
    boxes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) != 5:
            continue  # a polygon row or a blank line: not a box
        class_id, cx, cy, width, height = int(parts[0]), *map(float, parts[1:])
        boxes.append(LabelledBox(class_id, cx, cy, width, height))
    return tuple(boxes)


def photos(root: Path, split: str) -> Iterator[LabelledPhoto]:
    """The photos of one split, sorted by file name, with their boxes."""
    images = root / split / "images"
    if not images.is_dir():
        raise DatasetError(f"{root} has no {split}/images folder")
    for image in sorted(images.iterdir()):
        if image.suffix.lower() in IMAGE_SUFFIXES:
            labels = root / split / "labels" / f"{image.stem}.txt"
            yield LabelledPhoto(image, split, read_labels(labels))


def crop_box(image: Image.Image, box: LabelledBox, margin: float = CROP_MARGIN) -> Image.Image:
    """The box's region of the photo with ``margin`` of context on each side."""
    width, height = image.size
    half_w = box.width * (0.5 + margin) * width
    half_h = box.height * (0.5 + margin) * height
    left = max(0, round(box.cx * width - half_w))
    top = max(0, round(box.cy * height - half_h))
    right = min(width, round(box.cx * width + half_w))
    bottom = min(height, round(box.cy * height + half_h))
    return image.crop((left, top, max(right, left + 1), max(bottom, top + 1)))


def crops(
    root: Path, split: str, size: int, limit: int | None = None
) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """Every labelled box of a split cropped and resized to ``size``x``size`` RGB.

    Returns the crops (N, size, size, 3) and their class ids; ``limit`` keeps the first N
    (for quick tests).
    """
    images: list[NDArray[np.uint8]] = []
    labels: list[int] = []
    for photo in photos(root, split):
        with Image.open(photo.image) as opened:
            rgb = opened.convert("RGB")
        for box in photo.boxes:
            crop = crop_box(rgb, box).resize((size, size), Image.Resampling.BILINEAR)
            images.append(np.asarray(crop, dtype=np.uint8))
            labels.append(box.class_id)
            if limit is not None and len(labels) >= limit:
                return np.stack(images), np.asarray(labels, dtype=np.int64)
    if not images:
        raise DatasetError(f"{root}/{split} has no labelled boxes")
    return np.stack(images), np.asarray(labels, dtype=np.int64)


def data_hash(root: Path) -> str:
    """SHA-256 over data.yaml and every image and label file of every split, in a fixed order."""
    digest = hashlib.sha256()
    files = [root / "data.yaml"]
    for split in SPLITS:
        folder = root / split
        if folder.is_dir():
            files.extend(sorted(path for path in folder.rglob("*") if path.is_file()))
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return "sha256:" + digest.hexdigest()


BACKGROUND = "background"
"""The extra class for regions with no labelled food: region proposals at run time land on
table tops and walls too, and the classifier needs a way to say so."""


def _overlap(left: float, top: float, side: float, box: LabelledBox) -> float:
    """The share of the square region covered by the box (all normalised)."""
    width = min(left + side, box.cx + box.width / 2) - max(left, box.cx - box.width / 2)
    height = min(top + side, box.cy + box.height / 2) - max(top, box.cy - box.height / 2)
    return max(0.0, width) * max(0.0, height) / (side * side)


def background_crops(
    root: Path,
    split: str,
    size: int,
    limit: int | None = None,
    every: int = 3,
    tries: int = 20,
) -> NDArray[np.uint8]:
    """At most one square region in every ``every``-th photo that boxes cover by less than
    10 %, resized: about a quarter of the crops, enough to learn "no food here"."""
    rng = np.random.default_rng(0)
    out: list[NDArray[np.uint8]] = []
    for number, photo in enumerate(photos(root, split)):
        if number % every:
            continue
        if limit is not None and len(out) >= limit:
            break
        for _ in range(tries):
            side = float(rng.uniform(0.2, 0.5))
            left, top = (float(value) for value in rng.uniform(0, 1 - side, size=2))
            if all(_overlap(left, top, side, box) < 0.1 for box in photo.boxes):
                with Image.open(photo.image) as opened:
                    width, height = opened.size
                    region = (
                        left * width,
                        top * height,
                        (left + side) * width,
                        (top + side) * height,
                    )
                    crop = opened.convert("RGB").crop(region)
                out.append(np.asarray(crop.resize((size, size)), dtype=np.uint8))
                break
    return np.stack(out) if out else np.zeros((0, size, size, 3), dtype=np.uint8)
