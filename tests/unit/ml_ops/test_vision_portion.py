"""Portions from box area against a plate, and from a depth map."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ml_ops.recognition import Box
from ml_ops.vision import portion


def test_area_grams_follow_the_plate_scale() -> None:
    # A 640-pixel photo framing a 25.6 cm plate: 0.04 cm per pixel, a 100x100 box is 16 cm2.
    grams = portion.grams_from_area("potato", Box(0, 0, 100, 100), 640, 640, 25.6)
    prior = portion.prior("potato")
    expected = 16 * portion.ELLIPSE_FILL * prior.thickness_cm * prior.density
    assert grams == pytest.approx(expected, abs=0.1)
    assert portion.grams_from_area("potato", Box(0, 0, 100, 100), 640, 640, 51.2) > grams * 3.9


def test_area_grams_are_bounded() -> None:
    assert portion.grams_from_area("rice", Box(0, 0, 1, 1), 640, 640, 26) == 1.0
    assert (
        portion.grams_from_area("rice", Box(0, 0, 6400, 6400), 640, 640, 260) == portion.MAX_GRAMS
    )


def test_unknown_foods_get_the_default_prior() -> None:
    assert portion.prior("dragon fruit") == portion.DEFAULT_PRIOR
    assert portion.default_serving("egg") == 50.0


def _depth_png(depth_mm: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(depth_mm.astype(np.uint16)).save(buffer, "PNG")
    return buffer.getvalue()


def test_depth_grams_are_height_times_area_times_density() -> None:
    depth = np.full((640, 640), 500, dtype=np.uint16)  # the table, 50 cm from the camera
    depth[200:300, 200:300] = 470  # a 3 cm high block on it
    read = portion.read_depth(_depth_png(depth), 640, 640)
    grams = portion.grams_from_depth("cheese", Box(190, 190, 120, 120), read, 25.6)
    # 100x100 pixels at 0.04 cm = 16 cm2, 3 cm high: 48 cm3 of cheese
    assert grams == pytest.approx(48 * portion.prior("cheese").density, rel=0.01)


def test_a_flat_depth_map_gives_no_estimate() -> None:
    read = portion.read_depth(_depth_png(np.full((64, 64), 500)), 64, 64)
    assert portion.grams_from_depth("cheese", Box(10, 10, 20, 20), read, 26) is None


def test_an_unreadable_depth_map_is_an_error() -> None:
    with pytest.raises(portion.DepthMapError):
        portion.read_depth(b"not a png", 64, 64)
