"""YOLOv8n from its yaml, trained offline for one tiny epoch: no download, no network."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ml_ops import registry
from ml_ops.vision import analyser, dataset, detector, detector_export, offline
from ml_ops.vision.onnx_detector import OnnxDetector
from tests.unit.ml_ops.vision_data import FOOD_PHOTOS, needs_photos


@pytest.mark.usefixtures("no_network")
def test_prepare_sets_the_offline_switches_and_fonts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path / "yolo"))
    monkeypatch.delenv("YOLO_OFFLINE", raising=False)
    folder = offline.prepare()
    assert folder == tmp_path / "yolo" / "Ultralytics"
    assert os.environ["YOLO_OFFLINE"] == "true"
    assert os.environ["YOLO_AUTOINSTALL"] == "false"
    for name in offline.FONT_NAMES:
        assert (folder / name).read_bytes()[:4] == b"\x00\x01\x00\x00"  # a TrueType font


@pytest.mark.slow_ml
@needs_photos
@pytest.mark.usefixtures("no_network")
def test_one_tiny_epoch_trains_and_scores_on_the_test_split(tmp_path: Path) -> None:
    config = detector.DetectorConfig(epochs=1, image_size=64, batch_size=8, fraction=0.01)
    weights, metrics = detector.train(FOOD_PHOTOS, tmp_path, config)
    assert weights.is_file()
    assert 0.0 <= metrics["map50"] <= 1.0
    assert not (FOOD_PHOTOS / "train" / "labels.cache").exists()  # caches stay in the work folder
    assert json.loads((tmp_path / detector.RUN_RECORD).read_text())["epochs_run"] == 1
    from ultralytics import settings

    assert settings["sync"] is False
    # the ONNX export serves the same outputs as the torch weights on real photos
    names = dataset.class_names(FOOD_PHOTOS)
    served = OnnxDetector(detector_export.to_onnx(weights, 64), names, 64)
    photos = [photo.image for photo in dataset.photos(FOOD_PHOTOS, "test")][:3]
    agreement = detector_export.compare(weights, served, photos)
    assert agreement["photos"] == 3
    assert agreement["max_abs_score_diff"] < detector_export.MAX_SCORE_DIFF
    # and a graph that computes something else is caught (here: the shipped detector)
    shipped = registry.latest(analyser.models_folder(), analyser.MODEL_NAME)
    other = registry.verified_path(analyser.models_folder(), shipped, "detector")
    wrong = detector_export.compare(weights, OnnxDetector(other, names, 416), photos[:1])
    assert wrong["max_abs_score_diff"] > detector_export.MAX_SCORE_DIFF
