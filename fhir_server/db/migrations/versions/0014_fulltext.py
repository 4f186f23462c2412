"""Full-text search index (``_text``, ``_content``): word digests in a ``bigint[]`` per row.

Resources stored before this revision get their rows from a reindex (``$reindex`` of their
types, or ``nutrivision keys protect``): their bodies are sealed, and a migration has no keys.

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_text",
        sa.Column("resource_type", sa.Text, nullable=False),
        sa.Column("resource_id", sa.Text, nullable=False),
        sa.Column("param", sa.Text, nullable=False),
        sa.Column("words", ARRAY(sa.BigInteger), nullable=False),
    )
    # the owner's rows, for the delete of every rewrite and the search's correlation
    op.create_index("search_text_owner", "search_text", ["resource_type", "resource_id", "param"])
    # words @> '{...}': every word; the pending list (fastupdate) keeps a write cheap
    op.execute("CREATE INDEX search_text_words ON search_text USING gin (words)")


def downgrade() -> None:
    op.drop_table("search_text")
