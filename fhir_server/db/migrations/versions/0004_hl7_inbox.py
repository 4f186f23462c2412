"""HL7 v2 inbox and dead-letter tables.

Revision ID: 0004
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0006"
branch_labels = None
depends_on = None

INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the inbox (unique per sender and control id) and the dead letters."""
    op.create_table(
        "hl7_inbox",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("sender", sa.Text, nullable=False),
        sa.Column("control_id", sa.Text, nullable=False),
        sa.Column("message_type", sa.Text, nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.Column("peer", sa.Text, nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("ack", sa.Text, nullable=True),
        sa.Column("processed_at", INSTANT, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.UniqueConstraint("sender", "control_id", name="hl7_inbox_sender_control_id"),
    )
    op.create_index(
        "hl7_inbox_pending",
        "hl7_inbox",
        ["id"],
        postgresql_where=sa.text("status IN ('received', 'processing')"),
    )
    op.create_table(
        "hl7_dead_letter",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("inbox_id", sa.BigInteger, nullable=True),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.Column("peer", sa.Text, nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("ack_code", sa.Text, nullable=False),
        sa.Column("replayed_at", INSTANT, nullable=True),
        sa.Column("replay_result", sa.Text, nullable=True),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("hl7_dead_letter")
    op.drop_index("hl7_inbox_pending", table_name="hl7_inbox")
    op.drop_table("hl7_inbox")
