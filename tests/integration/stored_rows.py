"""The rows a stored resource has in the database, to compare two writes of the same
resource (one by one and together): its index rows, and a way to remove them between the two.

Full-text rows hold the words of every string of the resource, ``meta.lastUpdated``
included, and that time differs between the two writes: ``without_times`` leaves its words
out of both before they are compared (the words of both times, as a word of one time can be
a word of the resource too).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import psycopg

from fhir_server.store.index_statement import TABLES
from resources.identity import instant
from resources.search.fulltext import CONTENT, TEXT, words
from resources.search.index_rows import text_digests

Rows = dict[str, list[tuple[Any, ...]]]


def index_rows(conn: psycopg.Connection[Any], type_: str, id_: str) -> Rows:
    """Every index row of the resource, per table, without its owner's id, sorted; the words
    of a full-text row as a sorted tuple of their digests."""
    found: Rows = {}
    for table in TABLES:
        query = f"SELECT * FROM {table.name} WHERE resource_type = %s AND resource_id = %s"  # noqa: S608
        cursor = conn.execute(query, (type_, id_))
        names = [d.name for d in cursor.description or ()]
        rows = [
            tuple(
                tuple(sorted(v)) if n == "words" else v
                for n, v in zip(names, row, strict=True)
                if n != "resource_id"
            )
            for row in cursor.fetchall()
        ]
        found[table.name] = sorted(rows, key=repr)
    return found


def time_words(times: Iterable[datetime]) -> frozenset[int]:
    """The digests (under this process's keys) of the words of ``times`` as
    ``meta.lastUpdated`` writes them, for either full-text parameter."""
    return frozenset(
        digest
        for time in times
        for param in (CONTENT, TEXT)
        for digest in text_digests(param, words(instant(time)))
    )


def without_times(rows: Rows, times: frozenset[int]) -> Rows:
    """``rows`` with the words in ``times`` left out of the full-text rows."""
    return {
        table: [
            tuple(tuple(w for w in v if w not in times) if isinstance(v, tuple) else v for v in row)
            for row in found
        ]
        if table == "search_text"
        else found
        for table, found in rows.items()
    }


def forget(conn: psycopg.Connection[Any], type_: str, id_: str) -> None:
    """Remove the resource's rows (not its audit events: the trail is append-only)."""
    for table in ("resource", "resource_version"):
        conn.execute(f"DELETE FROM {table} WHERE resource_type = %s AND id = %s", (type_, id_))  # noqa: S608
    for name in (t.name for t in TABLES):
        query = f"DELETE FROM {name} WHERE resource_type = %s AND resource_id = %s"  # noqa: S608
        conn.execute(query, (type_, id_))
