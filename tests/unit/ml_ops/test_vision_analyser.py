"""The shipped model, served with onnxruntime, on real photos, a synthetic one and bad input."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml_ops import registry
from ml_ops.vision import analyser, dataset, proposals
from resources import error_codes
from resources.errors import FhirError, Invalid, ServiceUnavailable, UnsupportedMediaType
from tests.unit.ml_ops.label_image import panel_png
from tests.unit.ml_ops.vision_data import FOOD_PHOTOS, needs_photos

pytestmark = [pytest.mark.slow_ml, pytest.mark.usefixtures("no_network")]

TEST_PHOTOS = 8


@pytest.fixture(scope="module")
def shipped() -> analyser.VisionAnalyser:
    """The analyser of the registered model that ships in ml_ops/vision/models."""
    return analyser.load(analyser.models_folder())


def test_the_shipped_model_is_registered_with_its_figures() -> None:
    entry = registry.latest(analyser.models_folder(), analyser.MODEL_NAME)
    assert entry.metrics["food_top1"] >= 0.95
    assert entry.data_hash.startswith("sha256:")
    assert registry.verified_path(analyser.models_folder(), entry, "classifier").suffix == ".onnx"
    assert registry.verified_path(analyser.models_folder(), entry, "detector").suffix == ".onnx"
    assert entry.metrics["detector_map50"] >= 0.5
    assert entry.metrics["photo_recall"] >= 0.9


@needs_photos
def test_the_shipped_detector_boxes_the_labelled_food(shipped: analyser.VisionAnalyser) -> None:
    assert shipped.detector is not None
    photos = [p for p in dataset.photos(FOOD_PHOTOS, "test") if len(p.boxes) == 1][:TEST_PHOTOS]
    names = dataset.class_names(FOOD_PHOTOS)
    boxed = 0
    for photo in photos:
        with Image.open(photo.image) as opened:
            rgb = np.asarray(opened.convert("RGB"), dtype=np.uint8)
        truth = photo.boxes[0]
        side = rgb.shape[1]
        expected = (
            round((truth.cx - truth.width / 2) * side),
            round((truth.cy - truth.height / 2) * rgb.shape[0]),
            round((truth.cx + truth.width / 2) * side),
            round((truth.cy + truth.height / 2) * rgb.shape[0]),
        )
        boxed += any(
            label == names[truth.class_id] and proposals.iou(box, expected) >= 0.5
            for label, score, box in shipped.detected(rgb)
            if score >= 0.25
        )
    assert boxed >= TEST_PHOTOS - 2, f"{boxed} of {TEST_PHOTOS} labelled foods boxed"


@needs_photos
def test_foods_in_real_test_photos_are_found(shipped: analyser.VisionAnalyser) -> None:
    photos = [p for p in dataset.photos(FOOD_PHOTOS, "test") if len(p.boxes) == 1][::12][
        :TEST_PHOTOS
    ]
    names = dataset.class_names(FOOD_PHOTOS)
    found = 0
    for photo in photos:
        result = shipped.analyse(photo.image.read_bytes(), "image/jpeg", plate_diameter_cm=26)
        assert result.model == shipped.model
        assert (result.width, result.height) == (640, 640)
        labels = {d.label for d in result.detections}
        found += names[photo.boxes[0].class_id] in labels
        for detection in result.detections:
            assert detection.portion_basis == "plate-reference"
            assert detection.grams
            assert 0 <= detection.box.x < 640
            assert detection.box.width > 0
    assert found >= TEST_PHOTOS - 2, f"{found} of {TEST_PHOTOS} labelled foods found"


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_a_plain_surface_shows_no_food(shipped: analyser.VisionAnalyser) -> None:
    gradient = np.tile(np.linspace(180, 220, 480, dtype=np.uint8)[:, None, None], (1, 640, 3))
    result = shipped.analyse(_png(Image.fromarray(gradient)), "image/png")
    assert result.detections == ()
    assert result.label is None


def test_a_nutrition_panel_is_read_when_no_food_is_seen(shipped: analyser.VisionAnalyser) -> None:
    result = shipped.analyse(panel_png(), "image/png")
    assert result.detections == ()
    assert result.label is not None
    assert result.label.nutrients["protein"] == 3.0
    assert result.label.serving_size_g == 30.0


def _noise_png() -> bytes:
    noise = np.random.default_rng(0).integers(0, 255, (128, 128, 3), dtype=np.uint8)
    return _png(Image.fromarray(noise))


@pytest.mark.parametrize(
    ("data", "media_type", "error", "code"),
    [
        (_noise_png()[:2000], "image/png", Invalid, error_codes.IMAGE_CORRUPT),
        (b"\x00" * 100, "image/jpeg", UnsupportedMediaType, error_codes.IMAGE_UNREADABLE),
    ],
)
def test_bad_photos_are_clear_errors(
    shipped: analyser.VisionAnalyser,
    data: bytes,
    media_type: str,
    error: type[FhirError],
    code: str,
) -> None:
    with pytest.raises(error) as raised:
        shipped.analyse(data, media_type)
    assert raised.value.nv_code == code


def test_an_unreadable_depth_map_is_invalid(shipped: analyser.VisionAnalyser) -> None:
    with pytest.raises(Invalid) as raised:
        shipped.analyse(_png(Image.new("RGB", (64, 64))), "image/png", depth=b"nope")
    assert raised.value.nv_code == error_codes.IMAGE_DEPTH_UNREADABLE


def test_a_busy_analyser_answers_503(tmp_path: Path) -> None:
    config = analyser.AnalyserConfig(concurrency=1, wait_s=0.01)
    busy = analyser.load(analyser.models_folder(), config)
    release, holding = threading.Event(), threading.Event()

    def hold() -> None:
        with busy._slots:
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(5)
    try:
        with pytest.raises(ServiceUnavailable) as raised:
            busy.analyse(_png(Image.new("RGB", (64, 64))), "image/png")
        assert raised.value.nv_code == error_codes.IMAGE_ANALYSER_BUSY
    finally:
        release.set()
        thread.join()


def _first_photo_with_food(shipped: analyser.VisionAnalyser) -> bytes:
    for photo in dataset.photos(FOOD_PHOTOS, "test"):
        data = photo.image.read_bytes()
        if shipped.analyse(data, "image/jpeg").detections:
            return data
    raise AssertionError("no test photo with a food found")


@needs_photos
def test_portions_come_from_the_depth_map_or_a_default_serving(
    shipped: analyser.VisionAnalyser,
) -> None:
    data = _first_photo_with_food(shipped)
    without = shipped.analyse(data, "image/jpeg").detections
    assert {d.portion_basis for d in without} == {"default-serving"}
    depth = np.full((640, 640), 600, dtype=np.uint16)  # the table, 60 cm away
    box = without[0].box  # the first food stands 4 cm above it
    depth[int(box.y) : int(box.y + box.height), int(box.x) : int(box.x + box.width)] = 560
    buffer = io.BytesIO()
    Image.fromarray(depth).save(buffer, "PNG")
    deep = shipped.analyse(data, "image/jpeg", depth=buffer.getvalue()).detections
    assert [d.label for d in deep] == [d.label for d in without]
    bases = {d.portion_basis for d in deep}
    assert deep[0].portion_basis == "depth-map", deep
    assert deep[0].grams != without[0].grams
    assert bases <= {"depth-map", "plate-reference", "default-serving"}
