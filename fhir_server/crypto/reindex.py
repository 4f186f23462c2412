"""Rebuild the index rows of the person types, so their PHI values become blind indexes.

For data written before PHI protection (or after a change of the PHI parameter list): every
current version of a person type is opened and its index rows replaced, ``size`` resources
per transaction, in (type, id) order.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, select, tuple_

from fhir_server.store.index_statement import replace_statement
from fhir_server.store.index_writer import table_rows
from fhir_server.store.rows import CURRENT_JOIN, R, V
from resources import fhir_json
from resources.crypto.phi_params import PERSON_TYPES
from resources.crypto.protection import open_body
from resources.search.registry import default_registry


def reindex_persons(engine: Engine, size: int, progress: Callable[[int], None]) -> int:
    """Replace the index rows of every live person resource; how many were reindexed."""
    registry = default_registry()
    done, after = 0, ("", "")
    while True:
        query = (
            select(R.resource_type, R.id, V.version_id, V.body)
            .select_from(CURRENT_JOIN)
            .where(
                ~R.deleted,
                R.resource_type.in_(PERSON_TYPES),
                tuple_(R.resource_type, R.id) > tuple_(*after),
            )
            .order_by(R.resource_type, R.id)
            .limit(size)
        )
        with engine.begin() as conn:
            rows = conn.execute(query).all()
            for row in rows:
                body = open_body(row.resource_type, row.id, row.version_id, row.body)
                assert body is not None  # live versions have bodies
                index = table_rows(row.resource_type, row.id, fhir_json.loads(body), registry)
                statement, values = replace_statement(row.resource_type, row.id, index, clear=True)
                conn.execute(statement, values)
        done += len(rows)
        progress(done)
        if len(rows) < size:
            return done
        after = (rows[-1].resource_type, rows[-1].id)
