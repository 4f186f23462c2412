"""The import command's state file: which files are done and how far into each NDJSON file
the loaded lines go, so an interrupted import resumes without loading anything twice.

A file is known by its absolute path, size and modification time: a changed file starts over.
The state is written atomically (a temporary file renamed over it) after each batch.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ImportState:
    """Per file: ``lines`` loaded (NDJSON) and whether it is ``done``."""

    path: Path
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> ImportState:
        """The state at ``path`` (empty when there is none or it is unreadable)."""
        try:
            files = json.loads(path.read_text(encoding="utf-8")).get("files", {})
        except (OSError, ValueError, AttributeError):
            files = {}
        return cls(path, files if isinstance(files, dict) else {})

    def entry(self, file: Path) -> dict[str, Any]:
        """The record of ``file``, reset when the file changed since it was made."""
        stat = file.stat()
        key = str(file.resolve())
        known = self.files.get(key)
        identity = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        if not known or any(known.get(k) != v for k, v in identity.items()):
            known = self.files[key] = {**identity, "lines": 0, "done": False}
        return known

    def save(self) -> None:
        """Write the state atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps({"version": 1, "files": self.files}), encoding="utf-8")
        os.replace(temporary, self.path)
