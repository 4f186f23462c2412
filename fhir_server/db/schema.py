"""Table definitions (SQLAlchemy Core) used to build queries; migrations create them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
)

metadata = MetaData()

resource = Table(
    "resource",
    metadata,
    Column("resource_type", Text, primary_key=True),
    Column("id", Text, primary_key=True),
    Column("version_id", Integer, nullable=False),
    Column("last_updated", DateTime(timezone=True), nullable=False),
    Column("deleted", Boolean, nullable=False),
)
"""One row per logical resource, pointing at its current version."""

resource_version = Table(
    "resource_version",
    metadata,
    Column("resource_type", Text, primary_key=True),
    Column("id", Text, primary_key=True),
    Column("version_id", Integer, primary_key=True),
    Column("txid", BigInteger, Identity(always=True), nullable=False, unique=True),
    Column("last_updated", DateTime(timezone=True), nullable=False),
    Column("method", Text, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("body", LargeBinary, nullable=True),
)
"""One row per version, the current one included; ``body`` is the resource's JSON."""

search_token = Table(
    "search_token",
    metadata,
    Column("resource_type", Text, nullable=False),
    Column("resource_id", Text, nullable=False),
    Column("param", Text, nullable=False),
    Column("system", Text, nullable=True),
    Column("code", Text, nullable=False),
)
"""Token index rows of the current version (``identifier`` for conditional create)."""
