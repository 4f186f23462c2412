"""The keys of PHI protection: data keys and the index key, each wrapped by the master key."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, LargeBinary, MetaData, Table, Text

metadata = MetaData()

phi_key = Table(
    "phi_key",
    metadata,
    Column("key_id", Text, primary_key=True),
    Column("purpose", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("master", Text, nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)
"""One row per key: ``purpose`` is ``data`` (bodies) or ``index`` (blind indexes); a data
key's ``state`` is ``pending`` (loaded, not yet used), ``active`` (seals new bodies, exactly
one), ``retiring`` (being re-encrypted away) or ``retired`` (no body uses it; kept to open
backups); ``master`` is the fingerprint of the master key that wrapped it."""
