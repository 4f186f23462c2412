"""Index rows' owner ids keep their distinct count but no list of common values.

A search of several tests joins one index table per test on ``resource_id``, and PostgreSQL
estimates each join between two of them (``search_token.resource_id =
search_reference.resource_id``, implied through the searched resource's id) by comparing the
two columns' lists of most common values: 100 by 100 text comparisons, in every join order
it weighs. ``Observation?patient&code&date=ge&date=lt`` took 4.5 ms to plan at 10k resources
(0.6-1.2 ms to run), two fifths of it in those comparisons. Those lists say nothing a search
uses: which resources have the most index rows. What the estimates do use, the number of
distinct ids, is computed from the same sample as before (a table's sample size follows its
largest statistics target), and the single most common value still bounds a hash join's
buckets. With a target of 1 the same search plans in 1.1-1.4 ms at 10k. The lists are long
where ANALYZE's sample holds a large part of a table (a small database, and ``search_string``,
where a name is held by many resources); at 100k resources the other tables' lists were
already short: planning ``Observation?patient&code&date`` stayed at 2.0-2.2 ms, a two-level
chain through names went from 2.6-2.7 to 1.6-1.7 ms; the plans of 66 searches (the
benchmark's six shapes and 20 others) ran as fast either way.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TABLES = (
    "search_string",
    "search_token",
    "search_date",
    "search_number",
    "search_quantity",
    "search_reference",
    "search_uri",
    "search_composite",
    "search_text",
)
OWNER_ID_TARGET = 1


def _target(target: int) -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN resource_id SET STATISTICS {target}")
    op.execute(f"ANALYZE {', '.join(TABLES)}")


def upgrade() -> None:
    _target(OWNER_ID_TARGET)


def downgrade() -> None:
    _target(-1)  # the default target
