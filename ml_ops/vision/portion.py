"""Portion estimates: grams from a box's area (against a plate of known size) or a depth map.

Area: with no plate detector, the photo is taken to frame the plate, so the shorter side of
the photo spans ``plate_diameter_cm``. The box becomes an ellipse of that many square
centimetres, times the food's typical thickness and density.
Depth: a single-channel PNG aligned with the photo, millimetres from the camera (16-bit, or
8-bit scaled to ``depth_max_mm``). The table or plate level is the median depth around the
box; every pixel nearer than that adds its height times its area to the volume.
Priors are rough kitchen figures (thickness of a piece as it lies, bulk density): enough to
tell a spoonful from a plateful, not a weighing scale.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ml_ops.recognition import Box

ELLIPSE_FILL = 0.785
"""Share of a box an oval food covers (pi/4)."""
MAX_GRAMS = 2000.0


@dataclass(frozen=True)
class Prior:
    """Typical thickness (cm), bulk density (g/cm3) and a default serving (g) of one food."""

    thickness_cm: float
    density: float
    serving_g: float


DEFAULT_PRIOR = Prior(2.0, 0.8, 100.0)
PRIORS: dict[str, Prior] = {
    "banana": Prior(3.5, 0.95, 120.0),
    "bell pepper": Prior(6.0, 0.35, 120.0),
    "bulgur": Prior(2.0, 0.75, 150.0),
    "cabbage": Prior(10.0, 0.45, 90.0),
    "carrot": Prior(2.5, 1.0, 60.0),
    "cheese": Prior(1.5, 1.1, 30.0),
    "chicken": Prior(2.5, 1.05, 120.0),
    "chickpeas": Prior(2.0, 0.75, 120.0),
    "cucumber": Prior(4.0, 0.95, 100.0),
    "egg": Prior(4.0, 1.03, 50.0),
    "eggplant": Prior(7.0, 0.6, 150.0),
    "farfalle pasta": Prior(2.5, 0.5, 140.0),
    "fusilli pasta": Prior(2.5, 0.5, 140.0),
    "garlic": Prior(4.0, 0.6, 5.0),
    "green pepper": Prior(4.0, 0.35, 80.0),
    "ground meat": Prior(2.0, 1.0, 120.0),
    "ketchup": Prior(0.5, 1.15, 15.0),
    "lemon": Prior(6.0, 0.95, 60.0),
    "margarine": Prior(1.0, 0.95, 10.0),
    "mayonnaise": Prior(0.5, 0.9, 15.0),
    "milk": Prior(1.0, 1.03, 240.0),
    "mushroom": Prior(3.0, 0.5, 70.0),
    "olive": Prior(1.8, 1.0, 15.0),
    "olive oil": Prior(0.2, 0.92, 14.0),
    "onion": Prior(6.0, 0.9, 110.0),
    "parsley": Prior(1.0, 0.2, 10.0),
    "potato": Prior(5.0, 1.05, 150.0),
    "red lentils": Prior(2.0, 0.8, 150.0),
    "rice": Prior(2.5, 0.75, 150.0),
    "sausage": Prior(2.5, 1.0, 75.0),
    "spaghetti": Prior(2.0, 0.55, 140.0),
    "tomato": Prior(5.0, 0.95, 120.0),
    "tomato paste": Prior(1.0, 1.1, 16.0),
    "turkish dumplings": Prior(2.0, 0.9, 200.0),
    "yogurt": Prior(2.5, 1.05, 150.0),
    "zucchini": Prior(4.0, 0.95, 120.0),
}


class DepthMapError(ValueError):
    """The depth map could not be read or does not fit the photo."""


def prior(label: str) -> Prior:
    """The priors of a food label (a middling default for foods without their own)."""
    return PRIORS.get(label, DEFAULT_PRIOR)


def _clamp(grams: float) -> float:
    return round(min(max(grams, 1.0), MAX_GRAMS), 1)


def cm_per_pixel(width: int, height: int, plate_diameter_cm: float) -> float:
    """Scale of the photo when its shorter side spans the plate."""
    return plate_diameter_cm / min(width, height)


def grams_from_area(label: str, box: Box, width: int, height: int, plate_cm: float) -> float:
    """Grams of ``label`` covering ``box`` in a photo framing a plate of ``plate_cm``."""
    scale = cm_per_pixel(width, height, plate_cm)
    area_cm2 = box.width * box.height * scale * scale * ELLIPSE_FILL
    food = prior(label)
    return _clamp(area_cm2 * food.thickness_cm * food.density)


def read_depth(
    data: bytes, width: int, height: int, depth_max_mm: float = 1000.0
) -> NDArray[np.float32]:
    """A depth PNG as millimetres, resized to the photo."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            depth = opened if opened.mode in ("I", "I;16", "F") else opened.convert("L")
            scale = depth_max_mm / 255.0 if depth.mode == "L" else 1.0
            resized = depth.resize((width, height), Image.Resampling.NEAREST)
    except (OSError, ValueError, ImportError) as error:  # ImportError: see decode.decode
        raise DepthMapError(f"the depth map is not a readable image: {error}") from None
    return np.asarray(resized, dtype=np.float32) * np.float32(scale)


def grams_from_depth(
    label: str, box: Box, depth_mm: NDArray[np.float32], plate_cm: float
) -> float | None:
    """Grams of ``label`` in ``box`` from the height of its pixels above the surrounding level."""
    height, width = depth_mm.shape
    x0, y0 = max(0, int(box.x)), max(0, int(box.y))
    x1, y1 = min(width, int(box.x + box.width)), min(height, int(box.y + box.height))
    if x1 <= x0 or y1 <= y0:
        return None
    pad_x, pad_y = max(2, (x1 - x0) // 5), max(2, (y1 - y0) // 5)
    ring = depth_mm[max(0, y0 - pad_y) : y1 + pad_y, max(0, x0 - pad_x) : x1 + pad_x].copy()
    ring[
        y0 - max(0, y0 - pad_y) : y1 - max(0, y0 - pad_y),
        x0 - max(0, x0 - pad_x) : x1 - max(0, x0 - pad_x),
    ] = np.nan
    valid = ring[np.isfinite(ring) & (ring > 0)]
    if valid.size == 0:
        return None
    level = float(np.median(valid))
    inside = depth_mm[y0:y1, x0:x1]
    heights_cm = np.clip(level - inside[inside > 0], 0, None) / 10.0
    scale = cm_per_pixel(width, height, plate_cm)
    volume_cm3 = float(heights_cm.sum()) * scale * scale
    return _clamp(volume_cm3 * prior(label).density) if volume_cm3 > 0 else None


def default_serving(label: str) -> float:
    """A typical serving of ``label`` in grams, when nothing in the photo gives a scale."""
    return prior(label).serving_g


DEFAULT_PLATE_CM = 26.0
"""A common dinner plate, used with a depth map when the request names no plate size."""
