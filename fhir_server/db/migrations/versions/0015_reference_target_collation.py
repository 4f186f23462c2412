"""Search plans that stay flat as the database grows: reference targets in the collation of the
``resource`` table, and statistics on the columns a search tests together.

``search_reference.target_type`` and ``target_id`` were byte-order text (``COLLATE "C"``)
while ``resource.resource_type`` and ``resource.id`` have the database's collation. An
equality between the two has no single collation, and PostgreSQL then uses no index whose
collation differs from the comparison's: a chain (reference row to its target), a forward
``_include`` (to the included resource) and ``_has`` (a resource to the rows pointing at it)
could use neither ``resource``'s primary key nor the reference indexes on the target, and read
the whole ``resource`` table or every reference row of a parameter instead. The cost of
those searches grew with the database.

The columns only ever take part in equality (a sort by reference states its collation), so
the database's collation loses nothing. Changing only the collation of a ``text`` column does
not rewrite the table; PostgreSQL rebuilds the two indexes that hold the columns
(``search_reference_target`` and ``search_reference_reverse``), under this migration's lock.

PostgreSQL estimates ``resource_type = 'Observation' AND param = 'code' AND system = S AND
code = C`` as the product of four independent frequencies, often 20 times too few rows, and
then picks plans meant for a handful of matches (a semi-join read to the end, a sort of every
match). Extended statistics (most common combinations and functional dependencies) on the
columns a token or reference test combines let it see the real counts. The tables are
analysed at the end: changing a column's collation discards its statistics.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


STATISTICS = (
    ("search_token_code_stats", "search_token", "resource_type, param, system, code"),
    ("search_reference_param_stats", "search_reference", "resource_type, param, target_type"),
)
"""(name, table, columns) of each extended statistics object."""


def _collate(collation: str) -> None:
    op.execute(
        "ALTER TABLE search_reference"
        f' ALTER COLUMN target_type TYPE text COLLATE "{collation}",'
        f' ALTER COLUMN target_id TYPE text COLLATE "{collation}"'
    )


def upgrade() -> None:
    _collate("default")
    for name, table, columns in STATISTICS:
        op.execute(f"CREATE STATISTICS {name} (mcv, dependencies) ON {columns} FROM {table}")
    op.execute("ANALYZE search_reference, search_token")


def downgrade() -> None:
    for name, _, _ in STATISTICS:
        op.execute(f"DROP STATISTICS IF EXISTS {name}")
    _collate("C")
