"""Full-text search index (``_text``, ``_content``): word digests in a ``bigint[]`` per row.

Resources stored before this revision get their rows from a reindex: their bodies are sealed,
and a migration has no keys. So when the database holds resources, the migration queues a
``search-reindex`` job of ``_text`` and ``_content`` over their types, which the first server
to start runs (with its keys), as ``$reindex`` would.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0014"
down_revision = "0013"
branch_labels = None
TEXT_URL = "http://hl7.org/fhir/SearchParameter/DomainResource-text"
CONTENT_URL = "http://hl7.org/fhir/SearchParameter/Resource-content"
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
    op.execute(
        sa.text(
            "INSERT INTO job (id, kind, status, params, attempts, created_at)"
            " SELECT gen_random_uuid()::text, 'search-reindex', 'queued',"
            " jsonb_build_object('types', jsonb_agg(t.resource_type ORDER BY t.resource_type),"
            " 'urls', jsonb_build_array(CAST(:text_url AS text), CAST(:content_url AS text))),"
            " 0, now()"
            " FROM (SELECT DISTINCT resource_type FROM resource WHERE NOT deleted) AS t"
            " HAVING count(*) > 0"
        ).bindparams(text_url=TEXT_URL, content_url=CONTENT_URL)
    )


def downgrade() -> None:
    op.drop_table("search_text")
