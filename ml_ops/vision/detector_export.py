"""``ml export-detector``: the trained YOLOv8n to ONNX, checked, and served with the classifier.

The detector is exported with ultralytics' own ONNX exporter (fused convolutions, the decoded
output head). The export is checked twice against the torch weights: raw outputs on real test
photos, and mAP50 on the test split through both. Then the detector joins the classifier of
the newest registered version: the two thresholds are picked on the validation photos, the
whole-photo figures measured on the test photos, and a new version registered.
"""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ml_ops import registry
from ml_ops.vision import analyser, dataset, detector, evaluation, offline, pipeline
from ml_ops.vision.onnx_detector import OnnxDetector, decode, letterbox, to_input

SHIPPED_NAME = "food-detector.onnx"
CHECK_SCORE = 0.25
"""Boxes at or above this score are compared between the torch and the ONNX detector."""
MAX_SCORE_DIFF = 1e-3
"""The largest class-score difference between torch and ONNX that the export accepts."""
Log = Callable[[str], None]


class ExportMismatch(RuntimeError):
    """The exported graph does not compute what the torch weights do; nothing is registered."""


def to_onnx(weights: Path, image_size: int) -> Path:
    """ultralytics' ONNX export of the weights (static 1x3xSxS input), beside them."""
    package = offline.ultralytics()
    model = package.YOLO(str(weights))
    with warnings.catch_warnings():
        # ultralytics uses torch's TorchScript exporter on purpose; torch warns that it is the
        # legacy one. ``compare`` checks the graph on real photos.
        warnings.simplefilter("ignore", DeprecationWarning)
        exported = model.export(
            format="onnx", imgsz=image_size, opset=17, simplify=False, dynamic=False, device="cpu"
        )
    return Path(exported)


def trained_size(weights: Path) -> int:
    """The image size the detector was trained at."""
    package = offline.ultralytics()
    return int(package.YOLO(str(weights)).ckpt["train_args"]["imgsz"])


def compare(weights: Path, served: OnnxDetector, photos: list[Path]) -> dict[str, Any]:
    """Raw outputs of torch and ONNX on the same real photos: the largest score difference,
    and the share of photos whose boxes above ``CHECK_SCORE`` get the same labels."""
    import torch

    network = offline.ultralytics().YOLO(str(weights)).model.float().eval()
    largest, same = 0.0, 0
    for path in photos:
        with Image.open(path) as opened:
            rgb = np.asarray(opened.convert("RGB"), dtype=np.uint8)
        square, fit = letterbox(rgb, served.input_size)
        with torch.no_grad():
            output = network(torch.from_numpy(to_input(square)))
        expected = np.asarray((output[0] if isinstance(output, tuple | list) else output)[0])
        actual, _ = served.raw(rgb)
        largest = max(largest, float(np.abs(actual[4:] - expected[4:]).max()))
        labels = [
            sorted(
                label for label, _, _ in decode(out, fit, rgb.shape[1], rgb.shape[0], CHECK_SCORE)
            )
            for out in (expected, actual)
        ]
        same += labels[0] == labels[1]
    return {
        "photos": len(photos),
        "max_abs_score_diff": round(largest, 6),
        "same_labels": round(same / len(photos), 4) if photos else 1.0,
    }


def export_detector(
    data: Path, work: Path, models: Path, photo_limit: int | None = None, log: Log = print
) -> registry.ModelEntry:
    """Export, check, tune with the registered classifier, report and register."""
    weights = detector.best_weights(work)
    size = trained_size(weights)
    exported = to_onnx(weights, size)
    names = dataset.class_names(data)
    served_detector = OnnxDetector(exported, names, size)
    photos = [photo.image for photo in dataset.photos(data, "test")]
    photos = photos[:: max(1, len(photos) // 20)]
    agreement = compare(weights, served_detector, photos)
    log(f"ONNX vs torch: {agreement}")
    if agreement["max_abs_score_diff"] > MAX_SCORE_DIFF or agreement["same_labels"] < 1.0:
        raise ExportMismatch(f"the ONNX detector does not compute what torch does: {agreement}")
    data_yaml = detector.mirror(data, work)
    test_map = {
        "torch": detector.evaluate(weights, data_yaml, size),
        "onnx": detector.evaluate(exported, data_yaml, size),
    }
    log(f"test mAP50: torch {test_map['torch']['map50']}, ONNX {test_map['onnx']['map50']}")
    target = models / SHIPPED_NAME
    shutil.copyfile(exported, target)
    entry = registry.latest(models, analyser.MODEL_NAME)
    classifier = analyser.registered_classifier(models, entry)
    served = analyser.VisionAnalyser(classifier, "evaluation", detector=served_detector)
    thresholds, photo = evaluation.tune(served, data, photo_limit, log)
    log(f"test photos with the detector: {photo}")
    report_path = models / pipeline.EVALUATION
    report = json.loads(report_path.read_text(encoding="utf-8"))
    if "detector" not in entry.files:  # the figures of the pipeline without a detector
        report["pipeline_test_photos_proposals_only"] = report.get("pipeline_test_photos")
    report["pipeline_test_photos"] = photo
    report["detector"] = _detector_report(work, test_map, agreement, target)
    report_path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    new_details = {
        **entry.details,
        "threshold": thresholds.threshold,
        **pipeline.detector_details(served_detector, thresholds),
    }
    metrics = {
        **entry.metrics,
        "photo_recall": photo["recall"],
        "photo_precision": photo["precision"],
        "detector_map50": test_map["onnx"]["map50"],
    }
    files = {
        "classifier": models / entry.files["classifier"].path,
        "detector": target,
        "evaluation": report_path,
        "confusion": models / entry.files["confusion"].path,
    }
    new = registry.register(
        models, analyser.MODEL_NAME, entry.data_hash, metrics, files, new_details
    )
    log(f"registered {new.reference}")
    return new


def _detector_report(
    work: Path, test_map: dict[str, Any], agreement: dict[str, Any], target: Path
) -> dict[str, Any]:
    record = work / detector.RUN_RECORD
    return {
        "training": json.loads(record.read_text(encoding="utf-8")) if record.is_file() else None,
        "test": test_map["torch"],
        "test_onnx": test_map["onnx"],
        "onnx_vs_torch": agreement,
        "bytes": target.stat().st_size,
    }
