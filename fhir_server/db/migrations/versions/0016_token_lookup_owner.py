"""A token's rows found by code carry their resource's id in the index.

``search_token_lookup`` was ``(resource_type, param, code, system)``: it found a code's rows,
but the id of the resource each row belongs to was in the table. Counting a code's resources
(``_summary=count``, the sizing of a ``_has``) read every matching row from the table, and a
test of one resource for a code (``_has`` walked in page order, a code beside a patient) read
every token row of that resource. With ``resource_id`` as the index's last column both are
read from the index alone. At a million resources, under load (bench/README.md): a count of
the code of 45,360 Observations took 359-513 ms of PostgreSQL CPU and takes 13-27 ms;
``Observation?patient&code&date`` 11.7-15.3 ms and 5.5-6.1 ms.

The index is larger (PostgreSQL no longer folds the rows of one code into one entry): at a
million resources 1,021 MB where the old one took 82 MB, of a 9.6 GB database. Writes were
not measurably slower (Synthea Bundles: 0.5-0.8 ms of PostgreSQL CPU per resource either way).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _lookup(columns: str) -> None:
    op.execute(f"CREATE INDEX search_token_lookup_new ON search_token ({columns})")
    op.execute("DROP INDEX search_token_lookup")
    op.execute("ALTER INDEX search_token_lookup_new RENAME TO search_token_lookup")


def upgrade() -> None:
    _lookup("resource_type, param, code, system, resource_id")


def downgrade() -> None:
    _lookup("resource_type, param, code, system")
