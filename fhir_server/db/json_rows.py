"""Many rows in one parameter: a JSON array of objects keyed by column name, read as a table.

Batch writes (index rows, versions' index rows, audit events, reindexed rows) send each
table's rows as one JSON text and select them with ``json_to_recordset``: one statement and
one parameter however many rows. ``json``, not ``jsonb``: ``jsonb_to_recordset`` first builds
the whole document in its binary form (every key sorted, every number parsed) and then reads
each field back out, where ``json_to_recordset`` reads the text once. Writing 427 Synthea
resources' index rows took PostgreSQL 123-196 ms against 189-226 ms (``bench/README.md``).
PostgreSQL parses the constant when it plans the statement, which
``plan_cache_mode=force_custom_plan`` does at every execution, so the saving is in planning
and execution alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, Text, bindparam, cast, column, func
from sqlalchemy.dialects.postgresql import JSON


def json_rows(parameter: str, table: Table, names: Sequence[str]) -> Any:
    """The rows of the JSON text ``parameter`` as a table of ``table``'s columns ``names``
    (each typed as the table's column), to select from."""
    rows = cast(bindparam(parameter, type_=Text()), JSON)
    typed = [column(name, table.c[name].type) for name in names]
    return func.json_to_recordset(rows).table_valued(*typed).render_derived(with_types=True)
