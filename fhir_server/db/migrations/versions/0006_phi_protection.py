"""PHI protection: wrapped keys, and the data key of each stored body.

Bodies written before this revision stay readable as they are (plain JSON); ``nutrivision keys
protect`` encrypts them and rebuilds the blind indexes of their PHI search values, since a
migration has no access to the master key.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "phi_key",
        sa.Column("key_id", sa.Text, primary_key=True),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("master", sa.Text, nullable=False),
        sa.Column("wrapped", sa.LargeBinary, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("resource_version", sa.Column("body_key", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("resource_version", "body_key")
    op.drop_table("phi_key")
