"""Index state of custom SearchParameters ($reindex).

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_param_index",
        sa.Column("url", sa.Text, primary_key=True),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("job_id", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("search_param_index")
