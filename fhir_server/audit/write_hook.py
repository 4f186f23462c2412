"""Writes are audited in their own transaction: a ``WriteHook`` that watches every type.

The store calls it after each create, update, patch or delete, on the write's unit of work;
the AuditEvent row commits or rolls back with the write (sealed into the chain afterwards).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from fhir_server.audit.context import RequestAudit, current
from fhir_server.audit.events import Actor, EventFacts, build_event
from fhir_server.audit.recorder import insert_rows
from fhir_server.store.unit_of_work import StoreTransaction as UnitOfWork
from resources import error_codes
from resources.errors import Issue, MethodNotAllowed
from resources.ports import StoreTransaction
from resources.stored import StoredVersion


def _patient_of(written: StoredVersion) -> str | None:
    if written.resource_type == "Patient":
        return written.id
    if written.body is None:
        return None
    # the stored JSON, written by orjson (fhir_json.dumps); only references are read, so
    # orjson parses it, without the decimal-keeping parser (a few times slower)
    resource: Any = orjson.loads(written.body)
    for field in ("patient", "subject", "beneficiary", "recipient"):
        value = resource.get(field)
        value = value[0] if isinstance(value, list) and value else value
        reference = value.get("reference", "") if isinstance(value, dict) else ""
        if reference.startswith("Patient/"):
            return str(reference.removeprefix("Patient/"))
    return None


def _subtype(written: StoredVersion) -> tuple[str, int]:
    """A first version is a create (201), a later one an update (200)."""
    return ("create", 201) if written.version == 1 else ("update", 200)


def _connection_of(tx: StoreTransaction) -> AsyncConnection | None:
    """The unit of work's own connection (one transaction, one handle)."""
    conn = getattr(tx, "_conn", None) if isinstance(tx, UnitOfWork) else None
    return conn if isinstance(conn, AsyncConnection) else None


class AuditWriteHook:
    """Records the AuditEvent of each written version in the write's transaction."""

    def watches(self, resource_type: str) -> bool:
        """Every type: every write is audited."""
        return True

    async def after_write(self, tx: StoreTransaction, written: StoredVersion) -> list[Issue]:
        """Insert the event on the transaction's own connection. An AuditEvent written into
        the resource store (a Bundle entry) is refused: the trail lives in its own table."""
        if written.resource_type == "AuditEvent":
            raise MethodNotAllowed(
                "AuditEvents are written by the server only", error_codes.AUDIT_READ_ONLY
            )
        await _record(tx, written, *_subtype(written), _patient_of(written))
        return []

    def batches(self, resource_type: str) -> bool:
        """Writes of every type but AuditEvent (refused one by one, naming the entry)."""
        return resource_type != "AuditEvent"

    async def after_writes(self, tx: StoreTransaction, written: Sequence[StoredVersion]) -> None:
        """The events of many written versions, in one insert on the transaction."""
        for version in written:
            if version.resource_type == "AuditEvent":
                await self.after_write(tx, version)  # refused, as one write is
        conn = _connection_of(tx)
        if conn is None:
            return
        audit = current.get()
        rows = [_row(audit, v, *_subtype(v), _patient_of(v)) for v in written]
        await insert_rows(conn, rows)
        if audit:
            audit.recorded = True

    async def after_delete(self, tx: StoreTransaction, deleted: StoredVersion) -> None:
        """Insert the delete's event on its transaction; the patient is read from the version
        the delete replaced (the deletion marker has no body)."""
        previous = None
        if deleted.version > 1 and deleted.resource_type != "Patient":
            previous = await tx.vread(deleted.resource_type, deleted.id, deleted.version - 1)
        patient = _patient_of(previous if previous is not None else deleted)
        await _record(tx, deleted, "delete", 204, patient)


async def _record(
    tx: StoreTransaction, version: StoredVersion, subtype: str, status: int, patient: str | None
) -> None:
    conn = _connection_of(tx)
    if conn is None:  # not our unit of work: the middleware records the write instead
        return
    audit = current.get()
    row = _row(audit, version, subtype, status, patient)
    await insert_rows(conn, [row])  # the unit of work's own handle: same transaction
    if audit:
        audit.recorded = True


def _row(
    audit: RequestAudit | None,
    version: StoredVersion,
    subtype: str,
    status: int,
    patient: str | None,
) -> dict[str, Any]:
    actor = audit.actor if audit else Actor()
    reference = f"{version.reference}/_history/{version.version}"
    return build_event(EventFacts(subtype, actor, status, (reference,), None, patient))
