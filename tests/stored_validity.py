"""Every version a test stored in a database of its own, or a session in its database, is
valid FHIR: checked when the database is dropped (``servers.fresh_database``).

The REST API validates what clients send, but other writers build resources themselves (the
HL7 v2 adapter's Patient merge once stored both ``deceasedBoolean`` and ``deceasedDateTime``,
which a Bulk Data round trip then refused to import). Whatever a test wrote through any
path is read back here, opened with the database's keys, and validated as a client's
resource would be.
"""

from __future__ import annotations

import orjson
from sqlalchemy import create_engine, select, text

from fhir_server.db.engine import sync_url
from fhir_server.db.schema import resource_version
from resources.model import validation_issues
from tests.stored_bodies import opened_bodies


def invalid_versions(database_url: str) -> list[str]:
    """``Type/id: problem`` for each stored version that is not valid FHIR."""
    v = resource_version.c
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            if conn.scalar(text("SELECT to_regclass('resource_version')")) is None:
                return []  # never migrated
            query = select(v.resource_type, v.id, v.version_id, v.body).where(v.body.is_not(None))
            rows = [(t, i, n, bytes(b)) for t, i, n, b in conn.execute(query)]
    finally:
        engine.dispose()
    if not rows:
        return []
    found = []
    for type_, id_, body in opened_bodies(database_url, rows):
        issues = validation_issues(orjson.loads(body))
        if issues:
            found.append(f"{type_}/{id_}: {issues[0].diagnostics}")
    return found
