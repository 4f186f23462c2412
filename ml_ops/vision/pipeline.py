"""``ml evaluate`` and ``ml export`` for the vision model, after ``training``.

``evaluate`` scores the torch checkpoint on the test crops. ``export`` writes the ONNX model
(int8 when it keeps the accuracy, else float32), checks it against torch on crops of real
photos, measures whole-photo recall of the served pipeline, writes the evaluation report and
the confusion matrix beside the model, and registers the version.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ml_ops import registry
from ml_ops.vision import analyser, classifier, dataset, evaluation, export, training
from ml_ops.vision.analyser import AnalyserConfig
from ml_ops.vision.onnx_detector import OnnxDetector

EVALUATION = "evaluation.json"
INT8_MAX_DROP = 0.01
"""The int8 model ships when its food top-1 stays within one point of float32."""
Log = Callable[[str], None]


def evaluate(data: Path, work: Path, log: Log = print) -> dict[str, Any]:
    """Test-crop metrics of the torch checkpoint, saved as ``evaluation.json`` in ``work``."""
    model, record = training.load_checkpoint(work)
    classes = tuple(record["classes"])
    images, labels = training.crop_sets(
        data, work, record["config"]["input_size"], record["limit"]
    )["test"]
    metrics = evaluation.crop_metrics(classifier.predict(model, images), labels, classes)
    result = {"train": record, "test_crops": metrics}
    (work / EVALUATION).write_text(json.dumps(result, indent=2), encoding="utf-8")
    log(
        f"test crops: top-1 {metrics['top1']}, top-5 {metrics['top5']}, "
        f"food top-1 {metrics['food_top1']}"
    )
    return result


def _photo_crops(data: Path, size: int, photos: int) -> NDArray[np.uint8]:
    """Crops of the proposals of the first ``photos`` test photos: real inputs for the check."""
    from PIL import Image

    from ml_ops.vision import proposals

    out = []
    for number, photo in enumerate(dataset.photos(data, "test")):
        if number >= photos:
            break
        with Image.open(photo.image) as opened:
            rgb = np.asarray(opened.convert("RGB"), dtype=np.uint8)
        for box in proposals.propose(rgb)[:8]:
            region = Image.fromarray(rgb[box[1] : box[3], box[0] : box[2]]).resize((size, size))
            out.append(np.asarray(region, dtype=np.uint8))
    return np.stack(out)


def _onnx(model_path: Path, classes: tuple[str, ...], size: int) -> Any:
    from ml_ops.vision.onnx_classifier import OnnxClassifier

    return OnnxClassifier(model_path, classes, size)


def export_vision(
    data: Path,
    work: Path,
    models: Path,
    quantise: bool = True,
    photo_limit: int | None = None,
    log: Log = print,
) -> registry.ModelEntry:
    """Export, check, report and register; returns the registry entry."""
    model, record = training.load_checkpoint(work)
    classes, size = tuple(record["classes"]), int(record["config"]["input_size"])
    sets = training.crop_sets(data, work, size, record["limit"])
    test_x, test_y = sets["test"]
    models.mkdir(parents=True, exist_ok=True)
    fp32_path = export.to_onnx(model, work / "classifier-fp32.onnx", size)
    check = np.concatenate([_photo_crops(data, size, 12), test_x[:64]])
    torch_probs = classifier.predict(model, check)
    agreement = {
        "float32": export.compare(torch_probs, _onnx(fp32_path, classes, size), check).__dict__
    }
    fp32_metrics = evaluation.crop_metrics(
        _onnx(fp32_path, classes, size).probabilities(test_x), test_y, classes
    )
    chosen, metrics, precision = fp32_path, fp32_metrics, "float32"
    if quantise:
        int8_path = export.quantise(fp32_path, work / "classifier-int8.onnx", sets["train"][0][::8])
        agreement["int8"] = export.compare(
            torch_probs, _onnx(int8_path, classes, size), check
        ).__dict__
        int8_metrics = evaluation.crop_metrics(
            _onnx(int8_path, classes, size).probabilities(test_x), test_y, classes
        )
        log(f"int8 food top-1 {int8_metrics['food_top1']} vs float32 {fp32_metrics['food_top1']}")
        if int8_metrics["food_top1"] >= fp32_metrics["food_top1"] - INT8_MAX_DROP:
            chosen, metrics, precision = int8_path, int8_metrics, "int8"
    log(f"ONNX vs torch: {agreement}")
    target = models / "food-classifier.onnx"
    target.write_bytes(chosen.read_bytes())
    carried = _carried_detector(models)
    current = carried.detector if carried else None
    served = analyser.VisionAnalyser(_onnx(target, classes, size), "evaluation", detector=current)
    thresholds, photo = evaluation.tune(served, data, photo_limit, log)
    log(f"test photos: {photo}")
    evaluation.plot_confusion(
        metrics["confusion"],
        classes,
        models / "confusion-matrix.png",
        f"food-classifier ({precision}) on test crops",
    )
    report = {
        "classifier_test_crops": metrics,
        "classifier_test_crops_float32": {
            k: fp32_metrics[k] for k in ("top1", "top5", "food_top1", "food_top5")
        },
        "onnx_vs_torch": agreement,
        "pipeline_test_photos": photo,
        "sizes_bytes": {"float32": fp32_path.stat().st_size, "shipped": target.stat().st_size},
        "precision": precision,
    }
    report.update(_extra_reports(work))
    if carried:
        report["detector"] = carried.report
    (models / EVALUATION).write_text(json.dumps(report, indent=2), encoding="utf-8")
    summary = {
        "food_top1": metrics["food_top1"],
        "food_top5": metrics["food_top5"],
        "photo_recall": photo["recall"],
        "photo_precision": photo["precision"],
    }
    details = {
        "classes": list(classes),
        "input_size": size,
        "threshold": thresholds.threshold,
        "precision": precision,
        "architecture": record["architecture"],
        "train_config": record["config"],
        "data": "Roboflow FOOD INGREDIENTS DETECTION v48 (Y. E.), CC BY 4.0",
    }
    files = {
        "classifier": target,
        "evaluation": models / EVALUATION,
        "confusion": models / "confusion-matrix.png",
    }
    if carried:
        files["detector"] = carried.detector.path
        details.update(detector_details(carried.detector, thresholds))
        summary["detector_map50"] = carried.map50
    entry = registry.register(
        models, analyser.MODEL_NAME, record["data_hash"], summary, files, details
    )
    log(f"registered {entry.reference}")
    return entry


@dataclass(frozen=True)
class _Carried:
    """The detector of the newest registered version, carried over to the next one with the
    figures recorded for it."""

    detector: OnnxDetector
    report: Any
    map50: Any


def _carried_detector(models: Path) -> _Carried | None:
    try:
        entry = registry.latest(models, analyser.MODEL_NAME)
    except registry.RegistryError:
        return None
    detector = analyser.registered_detector(models, entry)
    if detector is None:
        return None
    previous = models / EVALUATION
    report = json.loads(previous.read_text(encoding="utf-8")) if previous.is_file() else {}
    return _Carried(detector, report.get("detector"), entry.metrics.get("detector_map50"))


def detector_details(detector: OnnxDetector, thresholds: AnalyserConfig) -> dict[str, Any]:
    """What the registry records of a served detector."""
    return {
        "detector_classes": list(detector.classes),
        "detector_input_size": detector.input_size,
        "detector_threshold": thresholds.detector_threshold,
        "detector_floor": thresholds.detector_floor,
    }


def _extra_reports(work: Path) -> dict[str, Any]:
    """The detector's and the from-scratch comparison's figures, when those runs left them."""
    extra: dict[str, Any] = {}
    detector = work / "detector.json"
    if detector.is_file():
        extra["detector"] = json.loads(detector.read_text(encoding="utf-8"))
    scratch = work / "scratch" / EVALUATION
    if scratch.is_file():
        result = json.loads(scratch.read_text(encoding="utf-8"))
        crops = result["test_crops"]
        extra["scratch_comparison"] = {
            "config": result["train"]["config"],
            "train_seconds": result["train"]["train_seconds"],
            **{k: crops[k] for k in ("top1", "top5", "food_top1", "food_top5")},
        }
    return extra
