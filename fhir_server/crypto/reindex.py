"""Rebuild index rows whose stored form depends on the index key, so they become keyed digests.

For data written before PHI protection (or after a change of the PHI parameter list, or under
a new index key): every current version of a person type is opened and all its index rows
replaced (``reindex_persons``); every other type has only its full-text rows replaced
(``reindex_text``: ``_text``/``_content`` word digests, the only keyed rows it has).
``size`` resources per transaction, in (type, id) order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, delete, insert, select, tuple_

from fhir_server.db.text_tables import search_text
from fhir_server.store.index_statement import replace_statement
from fhir_server.store.index_writer import param_table_rows, table_rows
from fhir_server.store.rows import CURRENT_JOIN, R, V
from resources import fhir_json
from resources.crypto.phi_params import PERSON_TYPES
from resources.crypto.protection import open_body
from resources.search.fulltext import FULLTEXT_CODES
from resources.search.registry import SearchRegistry, default_registry

Rewrite = Callable[[Connection, str, str, dict[str, Any], SearchRegistry], None]


def _all_rows(
    conn: Connection, type_: str, id_: str, body: dict[str, Any], registry: SearchRegistry
) -> None:
    index = table_rows(type_, id_, body, registry)
    statement, values = replace_statement(type_, id_, index, clear=True)
    conn.execute(statement, values)


def _text_rows(
    conn: Connection, type_: str, id_: str, body: dict[str, Any], registry: SearchRegistry
) -> None:
    params = [p for c, p in registry.params_for(type_).items() if c in FULLTEXT_CODES]
    rows = param_table_rows(type_, id_, body, params, registry).get(search_text, [])
    owner = (search_text.c.resource_type == type_, search_text.c.resource_id == id_)
    conn.execute(delete(search_text).where(*owner))
    if rows:
        conn.execute(insert(search_text), rows)


def _reindex(
    engine: Engine,
    size: int,
    progress: Callable[[int], None],
    which: ColumnElement[bool],
    rewrite: Rewrite,
) -> int:
    registry = default_registry()
    done, after = 0, ("", "")
    while True:
        query = (
            select(R.resource_type, R.id, V.version_id, V.body)
            .select_from(CURRENT_JOIN)
            .where(~R.deleted, which, tuple_(R.resource_type, R.id) > tuple_(*after))
            .order_by(R.resource_type, R.id)
            .limit(size)
        )
        with engine.begin() as conn:
            rows = conn.execute(query).all()
            for row in rows:
                body = open_body(row.resource_type, row.id, row.version_id, row.body)
                assert body is not None  # live versions have bodies
                rewrite(conn, row.resource_type, row.id, fhir_json.loads(body), registry)
        done += len(rows)
        progress(done)
        if len(rows) < size:
            return done
        after = (rows[-1].resource_type, rows[-1].id)


def reindex_persons(engine: Engine, size: int, progress: Callable[[int], None]) -> int:
    """Replace the index rows of every live person resource; how many were reindexed."""
    return _reindex(engine, size, progress, R.resource_type.in_(PERSON_TYPES), _all_rows)


def reindex_text(engine: Engine, size: int, progress: Callable[[int], None]) -> int:
    """Replace the full-text rows of every live resource of the other types; how many."""
    return _reindex(engine, size, progress, R.resource_type.not_in(PERSON_TYPES), _text_rows)
