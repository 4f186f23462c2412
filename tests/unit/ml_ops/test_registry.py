"""The model registry: versions, the newest one, and files checked against their hashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml_ops import registry


def _register(folder: Path, content: bytes = b"weights") -> registry.ModelEntry:
    model = folder / "model.onnx"
    model.write_bytes(content)
    return registry.register(
        folder,
        "food-vision",
        "sha256:abc",
        {"food_top1": 0.97},
        {"classifier": model},
        {"input_size": 128},
    )


def test_versions_count_up_and_the_newest_is_served(tmp_path: Path) -> None:
    first = _register(tmp_path)
    second = _register(tmp_path, b"better weights")
    assert (first.version, second.version) == ("1.0.0", "1.1.0")
    newest = registry.latest(tmp_path, "food-vision")
    assert newest.reference == "food-vision@1.1.0"
    assert newest.metrics == {"food_top1": 0.97}
    assert newest.details == {"input_size": 128}
    assert newest.created.endswith("+00:00")
    assert len(registry.entries(tmp_path)) == 2


def test_a_file_is_checked_against_its_hash(tmp_path: Path) -> None:
    entry = _register(tmp_path)
    assert registry.verified_path(tmp_path, entry, "classifier") == tmp_path / "model.onnx"
    (tmp_path / "model.onnx").write_bytes(b"weightz")  # same size, other bytes
    with pytest.raises(registry.RegistryError, match="SHA-256"):
        registry.verified_path(tmp_path, entry, "classifier")
    with pytest.raises(registry.RegistryError, match="no 'labels' file"):
        registry.verified_path(tmp_path, entry, "labels")


def test_no_registry_means_no_model(tmp_path: Path) -> None:
    assert registry.entries(tmp_path) == []
    with pytest.raises(registry.RegistryError, match="no model named"):
        registry.latest(tmp_path, "food-vision")
    (tmp_path / registry.REGISTRY_FILE).write_text("{}", encoding="utf-8")
    with pytest.raises(registry.RegistryError, match="not a model registry"):
        registry.entries(tmp_path)
