"""Resource and version tables, token index.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    for extension in ("pg_trgm", "unaccent", "btree_gin"):
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
    op.create_table(
        "resource",
        sa.Column("resource_type", sa.Text, primary_key=True),
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("last_updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
    )
    op.create_table(
        "resource_version",
        sa.Column("resource_type", sa.Text, primary_key=True),
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("version_id", sa.Integer, primary_key=True),
        sa.Column("txid", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("last_updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=True),
    )
    op.create_unique_constraint("resource_version_txid_key", "resource_version", ["txid"])
    op.create_index("resource_version_type_history", "resource_version", ["resource_type", "txid"])
    op.create_index("resource_version_since", "resource_version", ["last_updated"])
    op.execute(
        "CREATE INDEX resource_type_listing ON resource (resource_type, id) WHERE NOT deleted"
    )
    op.create_table(
        "search_token",
        sa.Column("resource_type", sa.Text, nullable=False),
        sa.Column("resource_id", sa.Text, nullable=False),
        sa.Column("param", sa.Text, nullable=False),
        sa.Column("system", sa.Text, nullable=True),
        sa.Column("code", sa.Text, nullable=False),
    )
    op.create_index(
        "search_token_lookup", "search_token", ["resource_type", "param", "code", "system"]
    )
    op.create_index("search_token_owner", "search_token", ["resource_type", "resource_id"])


def downgrade() -> None:
    op.drop_table("search_token")
    op.drop_table("resource_version")
    op.drop_table("resource")
