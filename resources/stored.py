"""What the store hands back: one version of one resource."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from resources.errors import Issue

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
    """The outcome of a write: the version now current, whether it was created, and what
    write hooks found (warnings for the writer)."""

    stored: StoredVersion
    created: bool
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True)
class HistoryPage:
    """One page of history, newest first; ``next_cursor`` continues it."""

    versions: list[StoredVersion]
    next_cursor: int | None
    total: int | None


@dataclass(frozen=True)
class SearchPage:
    """One page of a search: the matches in order, the resources they include, the cursor of
    the next page (None on the last), the total when asked for, and warnings for the Bundle."""

    matches: list[StoredVersion]
    included: list[StoredVersion]
    next_cursor: str | None
    total: int | None
    warnings: tuple[str, ...] = ()
    previous_cursor: str | None = None
    """The cursor of the page before (None on the first)."""
