"""The audit trail's table: one row per AuditEvent, append-only, hash-chained.

A row is written unsealed (``seq`` and ``hash`` NULL), in the transaction of the write it
records or by the batch flush of the read queue; the sealer then gives committed rows, in
order, a sequence number and the SHA-256 chained to the previous row (``fhir_server.audit.chain``).
A trigger (migration 0009) refuses DELETE and any UPDATE but the one that seals a row.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

audit_metadata = MetaData()

audit_event = Table(
    "audit_event",
    audit_metadata,
    Column("id", Text, primary_key=True),
    Column("seq", BigInteger, nullable=True, unique=True),
    Column("recorded", DateTime(timezone=True), nullable=False),
    Column("action", Text, nullable=False),
    Column("subtype", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("priority", Text, nullable=False),
    Column("agents", ARRAY(Text), nullable=False),
    Column("patient", Text, nullable=True),
    Column("entities", ARRAY(Text), nullable=False),
    Column("event", JSONB, nullable=False),
    Column("prev_hash", Text, nullable=True),
    Column("hash", Text, nullable=True),
    Index("audit_event_patient_recorded", "patient", "recorded"),
    Index("audit_event_recorded", "recorded"),
)
"""``agents``: every identifier of who acted (client id, ``sub``, ``fhirUser``); ``entities``:
the references the event is about; ``patient``: the patient id when known."""
