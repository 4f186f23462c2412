"""The model registry: which model files the server serves, how they were made and how good.

A registry is a ``registry.json`` beside the model files it lists. Each entry names a model
(``food-vision``), its version, the hash of the training data, the evaluation metrics, the
date, and its files with their SHA-256, so a loaded file can be checked against the entry.
The server serves the newest version of each name; older entries stay for the record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REGISTRY_FILE = "registry.json"


class RegistryError(ValueError):
    """The registry or one of its files is missing or does not match."""


@dataclass(frozen=True)
class ModelFile:
    """One file of a model, relative to the registry's folder."""

    path: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class ModelEntry:
    """One registered model version."""

    name: str
    version: str
    created: str
    """ISO 8601 instant with its time zone."""
    data_hash: str
    metrics: Mapping[str, Any]
    files: Mapping[str, ModelFile]
    """By role ("classifier", "classes", ...)."""
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        """``name@version``, as ``/ready`` and the CapabilityStatement show it."""
        return f"{self.name}@{self.version}"


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe_file(folder: Path, path: Path) -> ModelFile:
    """A ``ModelFile`` for a file inside ``folder``."""
    return ModelFile(path.relative_to(folder).as_posix(), file_sha256(path), path.stat().st_size)


def _entry(raw: Mapping[str, Any]) -> ModelEntry:
    files = {role: ModelFile(**value) for role, value in raw["files"].items()}
    return ModelEntry(
        name=raw["name"],
        version=raw["version"],
        created=raw["created"],
        data_hash=raw["data_hash"],
        metrics=raw.get("metrics", {}),
        files=files,
        details=raw.get("details", {}),
    )


def entries(folder: Path) -> list[ModelEntry]:
    """Every entry of the registry in ``folder`` (none when it has no registry yet)."""
    path = folder / REGISTRY_FILE
    if not path.is_file():
        return []
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return [_entry(item) for item in raw["models"]]
    except (ValueError, KeyError, TypeError) as error:
        raise RegistryError(f"{path} is not a model registry: {error}") from None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def latest(folder: Path, name: str) -> ModelEntry:
    """The newest version of ``name``; ``RegistryError`` when none is registered."""
    found = [entry for entry in entries(folder) if entry.name == name]
    if not found:
        raise RegistryError(f"no model named {name!r} is registered in {folder}")
    return max(found, key=lambda entry: _version_key(entry.version))


def next_version(folder: Path, name: str) -> str:
    """The next minor version of ``name`` ("1.0.0" for the first)."""
    try:
        major, minor, *_ = (*_version_key(latest(folder, name).version), 0, 0)
    except RegistryError:
        return "1.0.0"
    return f"{major}.{minor + 1}.0"


def register(
    folder: Path,
    name: str,
    data_hash: str,
    metrics: Mapping[str, Any],
    files: Mapping[str, Path],
    details: Mapping[str, Any] | None = None,
    version: str | None = None,
) -> ModelEntry:
    """Add a version of ``name`` whose ``files`` already lie in ``folder``; returns the entry."""
    entry = ModelEntry(
        name=name,
        version=version or next_version(folder, name),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        data_hash=data_hash,
        metrics=dict(metrics),
        files={role: describe_file(folder, path) for role, path in files.items()},
        details=dict(details or {}),
    )
    kept = [e for e in entries(folder) if (e.name, e.version) != (entry.name, entry.version)]
    payload = {"models": [asdict(e) for e in [*kept, entry]]}
    (folder / REGISTRY_FILE).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return entry


def verified_path(folder: Path, entry: ModelEntry, role: str) -> Path:
    """The path of one of the entry's files, after checking its size and SHA-256."""
    described = entry.files.get(role)
    if described is None:
        raise RegistryError(f"{entry.reference} has no {role!r} file")
    path = folder / described.path
    if not path.is_file() or path.stat().st_size != described.bytes:
        raise RegistryError(f"{path} is missing or has the wrong size for {entry.reference}")
    if file_sha256(path) != described.sha256:
        raise RegistryError(f"{path} does not match the SHA-256 registered for {entry.reference}")
    return path
