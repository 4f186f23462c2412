"""What the store hands back: one version of one resource."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Method = Literal["POST", "PUT", "PATCH", "DELETE"]


@dataclass(frozen=True)
class StoredVersion:
    """A version of a resource as stored; ``body`` is its JSON text, absent when deleted."""

    resource_type: str
    id: str
    version: int
    last_updated: datetime
    deleted: bool
    method: Method
    body: bytes | None

    @property
    def reference(self) -> str:
        """The relative reference ``Type/id``."""
        return f"{self.resource_type}/{self.id}"


@dataclass(frozen=True)
class WriteResult:
    """The outcome of a write: the version now current, and whether it was created."""

    stored: StoredVersion
    created: bool


@dataclass(frozen=True)
class HistoryPage:
    """One page of history, newest first; ``next_cursor`` continues it."""

    versions: list[StoredVersion]
    next_cursor: int | None
    total: int | None
