"""Background jobs as the inner layers see them: what a job is and where it stands.

The server runs jobs (``fhir_server.jobs``) in its own processes, durably in PostgreSQL; an
operation submits one through the ``JobQueue`` port (``resources.ports``) offered in
``OperationContext.services["jobs"]`` and answers with the job's status URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
FINISHED: frozenset[str] = frozenset({"done", "failed", "cancelled"})


@dataclass(frozen=True)
class JobInfo:
    """One job: its kind, parameters, status, progress line, and result once done."""

    id: str
    kind: str
    status: JobStatus
    params: dict[str, Any]
    created_at: datetime
    progress: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        """True once the job is done, failed or cancelled."""
        return self.status in FINISHED
