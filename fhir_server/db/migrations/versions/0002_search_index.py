"""Search index: one table per search-parameter type, filled from the current versions.

Replaces 0001's provisional ``search_token`` (identifier tokens only) with the full token table
and adds the string, date, number, quantity, reference, uri and composite tables. Existing
resources are indexed here, in batches, with the same code the write path uses.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 500
C_TEXT = sa.Text(collation="C")
INSTANT = sa.DateTime(timezone=True)
OWNER = ("resource_type", "resource_id")
_VALUES: dict[str, tuple[tuple[str, sa.types.TypeEngine[Any], bool], ...]] = {
    "search_string": (("normalised", C_TEXT, False), ("exact", C_TEXT, False)),
    "search_token": tuple(
        (c, C_TEXT, True) for c in ("system", "code", "text", "type_system", "type_code")
    ),
    "search_date": (("low", INSTANT, False), ("high", INSTANT, False)),
    "search_number": tuple((c, sa.Numeric(), True) for c in ("low", "high", "value")),
    "search_quantity": (
        *((c, sa.Numeric(), True) for c in ("low", "high", "value")),
        *((c, C_TEXT, True) for c in ("system", "code", "unit")),
    ),
    "search_reference": tuple(
        (c, C_TEXT, True)
        for c in (
            "target_type",
            "target_id",
            "version",
            "url",
            "identifier_system",
            "identifier_value",
        )
    ),
    "search_uri": (("uri", C_TEXT, False),),
}
_INDEXES: tuple[str, ...] = (
    # string: starts-with as a range on the "C" column, :exact, :contains by trigram
    "CREATE INDEX search_string_lookup ON search_string (resource_type, param, normalised)",
    "CREATE INDEX search_string_exact ON search_string (resource_type, param, exact)",
    "CREATE INDEX search_string_trgm ON search_string"
    " USING gin (resource_type, param, normalised gin_trgm_ops)",
    # token: code (with or without system), system| alone, :text
    "CREATE INDEX search_token_lookup ON search_token (resource_type, param, code, system)",
    "CREATE INDEX search_token_system ON search_token (resource_type, param, system)",
    "CREATE INDEX search_token_text ON search_token (resource_type, param, text)"
    " WHERE text IS NOT NULL",
    # date: ranges from either end
    "CREATE INDEX search_date_low ON search_date (resource_type, param, low, high)",
    "CREATE INDEX search_date_high ON search_date (resource_type, param, high)",
    "CREATE INDEX search_number_value ON search_number (resource_type, param, value)",
    "CREATE INDEX search_quantity_code ON search_quantity (resource_type, param, code, value)",
    "CREATE INDEX search_quantity_value ON search_quantity (resource_type, param, value)",
    # reference: forward (patient=X, chains) and reverse (_has, _revinclude), both covering
    "CREATE INDEX search_reference_target ON search_reference"
    " (resource_type, param, target_type, target_id) INCLUDE (resource_id)",
    "CREATE INDEX search_reference_reverse ON search_reference"
    " (target_type, target_id, param) INCLUDE (resource_type, resource_id)",
    "CREATE INDEX search_reference_url ON search_reference (resource_type, param, url)"
    " WHERE url IS NOT NULL",
    "CREATE INDEX search_reference_identifier ON search_reference"
    " (resource_type, param, identifier_value) WHERE identifier_value IS NOT NULL",
    "CREATE INDEX search_uri_lookup ON search_uri (resource_type, param, uri)",
    # _lastUpdated searches and sorts
    "CREATE INDEX resource_type_updated ON resource (resource_type, last_updated)"
    " WHERE NOT deleted",
)


def _create_tables() -> None:
    op.drop_table("search_token")  # 0001's provisional table; its rows are rebuilt below
    for name, values in _VALUES.items():
        op.create_table(
            name,
            sa.Column("resource_type", sa.Text, nullable=False),
            sa.Column("resource_id", sa.Text, nullable=False),
            sa.Column("param", sa.Text, nullable=False),
            *(sa.Column(column, type_, nullable=nullable) for column, type_, nullable in values),
            sa.Column("composite_ord", sa.SmallInteger, nullable=True),
        )
        op.create_index(f"{name}_owner", name, list(OWNER))
    op.create_table(  # no unique key: one statement deletes old rows and inserts new ones
        "search_composite",
        sa.Column("resource_type", sa.Text, nullable=False),
        sa.Column("resource_id", sa.Text, nullable=False),
        sa.Column("param", sa.Text, nullable=False),
        sa.Column("ord", sa.SmallInteger, nullable=False),
    )
    op.create_index("search_composite_owner", "search_composite", [*OWNER, "param"])
    for statement in _INDEXES:
        op.execute(statement)


def _backfill() -> None:
    """Index every current, non-deleted version, ``BATCH`` resources per statement."""
    from fhir_server.store.index_writer import index_sync
    from resources import fhir_json
    from resources.search.registry import default_registry

    registry = default_registry()
    bind = op.get_bind()
    after = ("", "")
    query = sa.text(
        "SELECT r.resource_type, r.id, v.body FROM resource r"
        " JOIN resource_version v ON v.resource_type = r.resource_type AND v.id = r.id"
        " AND v.version_id = r.version_id"
        " WHERE NOT r.deleted AND (r.resource_type, r.id) > (:type, :id)"
        " ORDER BY r.resource_type, r.id LIMIT :batch"
    )
    while True:
        rows = bind.execute(query, {"type": after[0], "id": after[1], "batch": BATCH}).all()
        for resource_type, id_, body in rows:
            resource = fhir_json.loads(body)
            index_sync(bind, resource_type, id_, resource, registry)
        if len(rows) < BATCH:
            return
        after = (rows[-1][0], rows[-1][1])


def upgrade() -> None:
    _create_tables()
    _backfill()


def downgrade() -> None:
    identifiers = (
        "SELECT resource_type, resource_id, param, system, code FROM search_token"
        " WHERE param = 'identifier' AND code IS NOT NULL AND composite_ord IS NULL"
    )
    op.execute(f"CREATE TABLE search_token_0001 AS {identifiers}")
    for name in (*_VALUES, "search_composite"):
        op.drop_table(name)
    op.drop_index("resource_type_updated", "resource")
    op.execute("ALTER TABLE search_token_0001 RENAME TO search_token")
    for column in ("resource_type", "resource_id", "param", "code"):
        op.alter_column("search_token", column, nullable=False)
    op.create_index(
        "search_token_lookup", "search_token", ["resource_type", "param", "code", "system"]
    )
    op.create_index("search_token_owner", "search_token", ["resource_type", "resource_id"])
