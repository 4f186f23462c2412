"""The training pipeline end to end on a handful of real crops: train, evaluate, export, register.

Tiny on purpose (a few crops, one epoch, 32-pixel inputs): it checks that the pipeline runs
and that its ONNX export computes what the torch network computes, not the model's accuracy
(the shipped model's figures are in ml_ops/vision/models/evaluation.json).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fhir_server.cli import app
from ml_ops import registry
from ml_ops.vision import analyser
from tests.unit.ml_ops.vision_data import FOOD_PHOTOS, needs_photos


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, ["ml", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow_ml
@needs_photos
@pytest.mark.usefixtures("no_network")
def test_train_evaluate_export_on_a_tiny_subset(tmp_path: Path) -> None:
    work, models = tmp_path / "work", tmp_path / "models"
    data = ("--data", str(FOOD_PHOTOS), "--work", str(work))
    output = _run("train", "vision", *data, "--epochs", "1", "--input-size", "32", "--limit", "12")
    assert "classifier trained" in output
    record = json.loads((work / "train.json").read_text())
    assert record["train_crops"] == 24  # 12 food crops and 12 background regions
    assert record["classes"][-1] == "background"
    assert len(record["classes"]) == 37
    assert record["data_hash"].startswith("sha256:")

    assert "food top-1" in _run("evaluate", *data)
    assert json.loads((work / "evaluation.json").read_text())["test_crops"]["crops"] == 24

    _run("export", *data, "--models", str(models), "--no-quantise", "--photo-limit", "3")
    entry = registry.latest(models, analyser.MODEL_NAME)
    report = json.loads((models / "evaluation.json").read_text())
    float32 = report["onnx_vs_torch"]["float32"]
    assert float32["max_abs_prob_diff"] < 1e-3, float32
    assert float32["top1_agreement"] == 1.0
    assert (models / "confusion-matrix.png").read_bytes().startswith(b"\x89PNG")
    assert entry.details["input_size"] == 32
    assert analyser.load(models).model == entry.reference
    assert analyser.load(models).detector is None

    # a registered detector is kept, with its figures, by the next classifier export
    shipped = registry.latest(analyser.models_folder(), analyser.MODEL_NAME)
    detector = registry.verified_path(analyser.models_folder(), shipped, "detector")
    shutil.copyfile(detector, models / detector.name)
    report["detector"] = {"test_onnx": {"map50": 0.6}}
    (models / "evaluation.json").write_text(json.dumps(report))
    files = {role: models / f.path for role, f in entry.files.items()}
    details = {**entry.details, **{k: v for k, v in shipped.details.items() if "detector" in k}}
    registry.register(
        models,
        analyser.MODEL_NAME,
        entry.data_hash,
        {**entry.metrics, "detector_map50": 0.6},
        {**files, "detector": models / detector.name},
        details,
    )
    _run("export", *data, "--models", str(models), "--no-quantise", "--photo-limit", "2")
    again = registry.latest(models, analyser.MODEL_NAME)
    assert again.version == "1.2.0"
    assert again.files["detector"].sha256 == shipped.files["detector"].sha256
    assert again.metrics["detector_map50"] == 0.6
    assert "detector_threshold" in again.details
    after = json.loads((models / "evaluation.json").read_text())
    assert after["detector"] == {"test_onnx": {"map50": 0.6}}
    assert analyser.load(models).detector is not None


def test_missing_data_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["ml", "train", "vision", "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a YOLO dataset" in result.output
