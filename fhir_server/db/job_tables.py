"""The durable job table: background work (bulk export and import, reindexing, reports)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from fhir_server.db.schema import metadata

job = Table(
    "job",
    metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("params", JSONB, nullable=False),
    Column("state", JSONB, nullable=True),
    Column("progress", Text, nullable=True),
    Column("result", JSONB, nullable=True),
    Column("error", Text, nullable=True),
    Column("owner", Text, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("heartbeat_at", DateTime(timezone=True), nullable=True),
)
"""One row per job: ``status`` is queued, running, done, failed or cancelled; ``state`` is the
handler's last checkpoint (what a restarted job resumes from); ``owner`` the process running
it, whose ``heartbeat_at`` goes stale when that process dies."""
