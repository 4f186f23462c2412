"""Stored resource bodies read straight from a database, opened with its own data keys.

Bodies are sealed at rest; the keys of a database are wrapped by the session's master key
(``NUTRIVISION_MASTER_KEY``), so a test can open what a server or command stored in any
database it created.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import create_engine

from fhir_server.crypto.keystore import load_protection
from fhir_server.crypto.runtime import master_source
from fhir_server.db.engine import sync_url
from fhir_server.settings import Settings
from resources.crypto.envelope import is_sealed, row_context

Row = tuple[str, str, int, bytes]
"""Resource type, id, version and the body as stored."""


def opened_bodies(database_url: str, rows: Iterable[Row]) -> list[tuple[str, str, bytes]]:
    """The JSON of each stored body, with its type and id."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as conn:
            protection, _ = load_protection(conn, master_source(Settings()))
    finally:
        engine.dispose()
    return [
        (type_, id_, protection.keyring.open(row_context(type_, id_, version), body))
        if is_sealed(body)
        else (type_, id_, body)
        for type_, id_, version, body in rows
    ]
