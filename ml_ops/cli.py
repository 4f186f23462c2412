"""``nutrivision ml``: train, evaluate and export the models the server serves.

``ml train vision --data DIR`` trains the photo classifier (and, with ``--detector-epochs``,
the YOLOv8n detector) into a work folder; ``ml evaluate`` scores it on the test split;
``ml export`` writes the ONNX model, the evaluation report and the registry entry into the
models folder; ``ml export-detector`` adds the trained detector to the served version.
``ml evaluate-text --data FILE`` scores the meal-text pipeline on a labelled set (it has no
training step: its vocabulary and portions are the food database's). The training stack
(torch, ultralytics) is imported by these commands only, never by the server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_WORK = Path("build/ml/vision")

ml_app = typer.Typer(help="Machine-learning models: train, evaluate, export", no_args_is_help=True)
train_app = typer.Typer(help="Train a model from a data folder", no_args_is_help=True)
ml_app.add_typer(train_app, name="train")

DataOption = Annotated[Path, typer.Option("--data", help="YOLO dataset folder (data.yaml)")]
WorkOption = Annotated[Path, typer.Option("--work", help="Work folder for checkpoints")]
ModelsOption = Annotated[Path | None, typer.Option(help="Models folder (default: the shipped one)")]
PhotoLimitOption = Annotated[int | None, typer.Option(help="Score only N photos per split")]


@train_app.command("vision")
def train_vision(
    data: DataOption,
    work: WorkOption = DEFAULT_WORK,
    epochs: Annotated[int, typer.Option(help="Classifier epochs")] = 8,
    input_size: Annotated[int, typer.Option(help="Crop size in pixels")] = 128,
    scratch: Annotated[
        bool, typer.Option(help="Random initial weights, whole net trained")
    ] = False,
    freeze_blocks: Annotated[int, typer.Option(help="Lower blocks kept frozen")] = 16,
    limit: Annotated[int | None, typer.Option(help="Use only the first N crops per split")] = None,
    detector_epochs: Annotated[int, typer.Option(help="Also train YOLOv8n for N epochs")] = 0,
    detector_size: Annotated[int, typer.Option(help="Detector image size")] = 320,
    detector_fraction: Annotated[float, typer.Option(help="Share of train photos")] = 1.0,
    detector_batch: Annotated[int, typer.Option(help="Detector batch size")] = 16,
    detector_device: Annotated[str, typer.Option(help="cpu, or a CUDA index such as 0")] = "cpu",
    detector_workers: Annotated[int, typer.Option(help="Data-loading processes")] = 0,
    detector_hours: Annotated[
        float | None, typer.Option(help="Time budget in hours (epochs fitted to it)")
    ] = None,
    detector_optimizer: Annotated[str, typer.Option(help="auto, SGD, AdamW, ...")] = "auto",
    classifier_run: Annotated[bool, typer.Option("--classifier/--no-classifier")] = True,
) -> None:
    """Train the food classifier on box crops (and optionally the detector)."""
    from ml_ops.vision import classifier, detector, training

    _check_data(data)
    config = classifier.TrainConfig(
        epochs=epochs,
        input_size=input_size,
        pretrained=not scratch,
        freeze_blocks=0 if scratch else freeze_blocks,
    )
    if classifier_run:
        record = training.train_classifier(data, work, config, limit, log=typer.echo)
        typer.echo(f"classifier trained in {record['train_seconds']} s -> {work}")
    if detector_epochs:
        settings = detector.DetectorConfig(
            epochs=detector_epochs,
            image_size=detector_size,
            batch_size=detector_batch,
            fraction=detector_fraction,
            device=detector_device,
            workers=detector_workers,
            hours=detector_hours,
            optimizer=detector_optimizer,
            cache=detector_device != "cpu",
        )
        weights, metrics = detector.train(data, work, settings)
        # relative to the work folder: the report is committed beside the shipped model
        where = weights.relative_to(work.resolve()).as_posix()
        report = {"config": settings.__dict__, "weights": where, "test": metrics}
        (work / "detector.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        typer.echo(f"detector test mAP50 {metrics['map50']}")


@ml_app.command("evaluate")
def evaluate(data: DataOption, work: WorkOption = DEFAULT_WORK) -> None:
    """Score the trained classifier on the test split's crops."""
    from ml_ops.vision import pipeline

    _check_data(data)
    pipeline.evaluate(data, work, log=typer.echo)


@ml_app.command("export")
def export(
    data: DataOption,
    work: WorkOption = DEFAULT_WORK,
    models: ModelsOption = None,
    quantise: Annotated[bool, typer.Option(help="Try int8 and keep it if accuracy holds")] = True,
    photo_limit: PhotoLimitOption = None,
) -> None:
    """Export to ONNX, check against torch, write the report and register the version."""
    from ml_ops.vision import analyser, pipeline

    _check_data(data)
    target = models or analyser.models_folder()
    entry = pipeline.export_vision(data, work, target, quantise, photo_limit, log=typer.echo)
    typer.echo(f"{entry.reference} -> {target}")


@ml_app.command("export-detector")
def export_detector(
    data: DataOption,
    work: WorkOption = DEFAULT_WORK,
    models: ModelsOption = None,
    photo_limit: PhotoLimitOption = None,
) -> None:
    """Export the trained detector to ONNX, check it against torch, serve it with the
    registered classifier (thresholds picked on the validation photos) and register that."""
    from ml_ops.vision import analyser, detector_export

    _check_data(data)
    target = models or analyser.models_folder()
    try:
        entry = detector_export.export_detector(data, work, target, photo_limit, log=typer.echo)
    except detector_export.ExportMismatch as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{entry.reference} -> {target}")


@ml_app.command("evaluate-text")
def evaluate_text(
    data: Annotated[Path, typer.Option("--data", help="Labelled meal descriptions (JSON lines)")],
    misses: Annotated[bool, typer.Option(help="List every miss")] = False,
) -> None:
    """Score the meal-text pipeline on a labelled set. It has nothing to train: its words,
    synonyms and portions come from the food database (``terminology.foods``)."""
    from ml_ops.text.evaluate import evaluate, load_set

    if not data.is_file():
        typer.echo(f"{data} is not a file of labelled descriptions", err=True)
        raise typer.Exit(2)
    result = evaluate(load_set(data))
    typer.echo(
        f"{result.descriptions} descriptions, {result.labels} labelled foods: "
        f"precision {result.precision:.3f}, recall {result.recall:.3f}, "
        f"grams within 25% {result.grams_within_25:.3f}"
    )
    for miss in result.misses if misses else []:
        typer.echo(f"  {miss.kind}: {miss.name!r} in {miss.text!r}")


def _check_data(data: Path) -> None:
    if not (data / "data.yaml").is_file():
        typer.echo(f"{data} is not a YOLO dataset (no data.yaml)", err=True)
        raise typer.Exit(2)
