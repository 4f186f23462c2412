"""Blind string values: one row per value, its prefix keys in an array under a GIN index.

Until this revision a PHI string value (a Patient's name, address part, ...) was stored as one
``search_token`` row per prefix digest (``code``), the last one also holding the digest of the
text as written (``text``). From now on it is one row: ``text`` as before and ``prefixes``, the
first 64 bits of each prefix digest as a ``bigint[]`` (``resources.crypto.blind``).

The old rows are converted here without the index key (a migration has no master key): the
first 64 bits of a stored digest are the new key of the same prefix. Which prefix rows made
up which value is not recorded, so the rows of one resource and parameter become one row per
value as written (``text``), the first holding every prefix key of the parameter: each search
finds what it found before. ``nutrivision keys protect`` rebuilds the exact per-value rows.

The GIN index is partial (only blind string rows have keys) and built CONCURRENTLY, outside
the migration's transaction, so writes go on while it is built on a large table.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

PERSON_TYPES = ("Patient", "RelatedPerson", "Practitioner", "Person")
STRING_CODES = (
    "name", "given", "family", "address",
    "address-city", "address-postalcode", "address-state", "address-country",
)  # fmt: skip
"""The standard PHI string parameters at this revision (``resources.crypto.phi_params``)."""
NOT_STRINGS = (
    "telecom", "email", "phone", "identifier", "birthdate", "death-date", "active", "deceased",
    "gender", "general-practitioner", "language", "link", "organization", "address-use",
    "communication", "patient", "relationship", "practitioner", "relatedperson",
)  # fmt: skip
"""PHI token and date parameters, and the plain ones: never blind string rows."""

CONVERT = """
WITH strings AS (
    SELECT t.resource_type, t.resource_id, t.param FROM search_token t
    WHERE t.resource_type = ANY(:types) AND t.prefixes IS NULL AND t.system IS NULL
        AND t.type_system IS NULL AND t.type_code IS NULL AND t.composite_ord IS NULL
    GROUP BY 1, 2, 3
    HAVING t.param = ANY(:strings) OR (
        t.param <> ALL(:not_strings)
        AND bool_or(t.text ~ '^[A-Za-z0-9_-]{22}$' AND t.text ~ '[A-Z]')
    )
), old AS (
    DELETE FROM search_token t USING strings s
    WHERE t.resource_type = ANY(:types) AND t.prefixes IS NULL AND t.system IS NULL
        AND t.type_system IS NULL AND t.type_code IS NULL AND t.composite_ord IS NULL
        AND (t.resource_type, t.resource_id, t.param) = (s.resource_type, s.resource_id, s.param)
    RETURNING t.resource_type, t.resource_id, t.param, t.code, t.text
), grouped AS (
    SELECT resource_type, resource_id, param,
        -- the first 64 bits of a stored 128-bit digest (URL-safe base64) as a signed bigint:
        -- the key BlindIndex.prefix_key computes for the same prefix
        coalesce(array_agg(DISTINCT ('x' || encode(substring(
            decode(translate(code, '-_', '+/') || '==', 'base64') FROM 1 FOR 8), 'hex')
        )::bit(64)::bigint) FILTER (WHERE code IS NOT NULL), '{}') AS keys,
        coalesce(array_agg(text) FILTER (WHERE text IS NOT NULL), ARRAY[NULL::text]) AS exacts
    FROM old GROUP BY 1, 2, 3
)
INSERT INTO search_token (resource_type, resource_id, param, text, prefixes)
SELECT g.resource_type, g.resource_id, g.param, e.text,
    CASE WHEN e.n = 1 THEN g.keys ELSE '{}' END
FROM grouped g CROSS JOIN LATERAL unnest(g.exacts) WITH ORDINALITY AS e(text, n)
"""
"""Blind string rows are those of the standard string parameters, or of a custom parameter
whose ``text`` holds a digest (22 URL-safe base64 characters with a capital: a token's
``text`` is normalised display text, lower case)."""
INDEX = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS search_token_prefixes ON search_token"
    " USING gin (prefixes) WHERE prefixes IS NOT NULL"
)


def upgrade() -> None:
    op.add_column("search_token", sa.Column("prefixes", ARRAY(sa.BigInteger), nullable=True))
    params = {"types": list(PERSON_TYPES), "strings": list(STRING_CODES)}
    op.get_bind().execute(sa.text(CONVERT), {**params, "not_strings": list(NOT_STRINGS)})
    with op.get_context().autocommit_block():
        # A build interrupted before leaves an invalid index that IF NOT EXISTS would keep.
        op.execute(
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_index WHERE NOT indisvalid"
            " AND indexrelid = to_regclass('search_token_prefixes')) THEN"
            " DROP INDEX search_token_prefixes; END IF; END $$"
        )
        op.execute(INDEX)


def downgrade() -> None:
    """Blind string rows cannot be split back into prefix digests (they keep 64 bits of
    each): they are removed, and ``nutrivision keys protect`` of the older code rebuilds them."""
    op.execute("DELETE FROM search_token WHERE prefixes IS NOT NULL")
    op.drop_index("search_token_prefixes", table_name="search_token")
    op.drop_column("search_token", "prefixes")
