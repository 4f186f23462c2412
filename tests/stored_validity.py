"""Every version a test session stored in its database is valid FHIR, checked at its end.

The REST API validates what clients send, but other writers build resources themselves (the
HL7 v2 adapter's Patient merge once stored both ``deceasedBoolean`` and ``deceasedDateTime``,
which a Bulk Data round trip then refused to import). Whatever a test wrote through any
path is read back here, opened with the database's keys, and validated as a client's
resource would be.
"""

from __future__ import annotations

import orjson
from sqlalchemy import create_engine, select

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
            query = select(v.resource_type, v.id, v.version_id, v.body).where(v.body.is_not(None))
            rows = [(t, i, n, bytes(b)) for t, i, n, b in conn.execute(query)]
    finally:
        engine.dispose()
    found = []
    for type_, id_, body in opened_bodies(database_url, rows):
        issues = validation_issues(orjson.loads(body))
        if issues:
            found.append(f"{type_}/{id_}: {issues[0].diagnostics}")
    return found
