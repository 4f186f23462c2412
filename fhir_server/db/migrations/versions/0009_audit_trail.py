"""Audit trail: the append-only, hash-chained ``audit_event`` table.

Revision ID: 0009
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0005"
branch_labels = None
depends_on = None

APPEND_ONLY = """
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit_event is append-only';
    END IF;
    IF OLD.hash IS NOT NULL OR NEW.event IS DISTINCT FROM OLD.event
       OR NEW.id IS DISTINCT FROM OLD.id OR NEW.recorded IS DISTINCT FROM OLD.recorded THEN
        RAISE EXCEPTION 'audit_event rows are sealed once and never changed';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=True, unique=True),
        sa.Column("recorded", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("subtype", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("priority", sa.Text, nullable=False),
        sa.Column("agents", sa.ARRAY(sa.Text), nullable=False),
        sa.Column("patient", sa.Text, nullable=True),
        sa.Column("entities", sa.ARRAY(sa.Text), nullable=False),
        sa.Column("event", JSONB, nullable=False),
        sa.Column("prev_hash", sa.Text, nullable=True),
        sa.Column("hash", sa.Text, nullable=True),
    )
    op.create_index("audit_event_patient_recorded", "audit_event", ["patient", "recorded"])
    op.create_index("audit_event_recorded", "audit_event", ["recorded"])
    op.create_index(
        "audit_event_unsealed", "audit_event", ["recorded"], postgresql_where=sa.text("seq IS NULL")
    )
    op.execute(APPEND_ONLY)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
    op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    op.drop_table("audit_event")
