"""Reading stored versions: the columns of a version and the current-version join."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sqlalchemy import Row, and_, bindparam, select

from fhir_server.db.schema import resource, resource_version
from resources.crypto.protection import open_body
from resources.stored import StoredVersion

V = resource_version.c
R = resource.c
VERSION_COLUMNS = (V.resource_type, V.id, V.version_id, V.last_updated, V.deleted, V.method, V.body)
AnyRow = Row[*tuple[Any, ...]]
CURRENT_JOIN = resource.join(
    resource_version,
    and_(V.resource_type == R.resource_type, V.id == R.id, V.version_id == R.version_id),
)
"""Each resource with its current version."""

READ_CURRENT = (
    select(*VERSION_COLUMNS)
    .select_from(CURRENT_JOIN)
    .where(R.resource_type == bindparam("type"), R.id == bindparam("id"))
)
"""The current version of one resource (``type``, ``id``)."""

READ_VERSION = select(*VERSION_COLUMNS).where(
    V.resource_type == bindparam("type"), V.id == bindparam("id"), V.version_id == bindparam("v")
)
"""One version of one resource (``type``, ``id``, ``v``)."""


def stored(row: AnyRow) -> StoredVersion:
    """A version row as a ``StoredVersion``, its body opened (decrypted)."""
    return StoredVersion(
        resource_type=row.resource_type,
        id=row.id,
        version=row.version_id,
        last_updated=row.last_updated.astimezone(UTC),
        deleted=row.deleted,
        method=row.method,
        body=open_body(row.resource_type, row.id, row.version_id, row.body),
    )
