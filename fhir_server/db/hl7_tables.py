"""HL7 v2 inbox and dead letters: every received message is stored here before its ACK."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Identity, Table, Text, UniqueConstraint

from fhir_server.db.schema import metadata

INSTANT = DateTime(timezone=True)

hl7_inbox = Table(
    "hl7_inbox",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("sender", Text, nullable=False),
    Column("control_id", Text, nullable=False),
    Column("message_type", Text, nullable=False),
    Column("received_at", INSTANT, nullable=False),
    Column("peer", Text, nullable=False),
    Column("raw", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("ack", Text, nullable=True),
    Column("processed_at", INSTANT, nullable=True),
    Column("error", Text, nullable=True),
    UniqueConstraint("sender", "control_id", name="hl7_inbox_sender_control_id"),
)
"""One row per distinct message (sending facility + MSH-10): ``received`` when stored,
``processing`` while claimed, then ``processed`` or ``failed``; ``ack`` is what was answered,
so a resent message gets the same answer and changes nothing."""

hl7_dead_letter = Table(
    "hl7_dead_letter",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("inbox_id", BigInteger, nullable=True),
    Column("received_at", INSTANT, nullable=False),
    Column("peer", Text, nullable=False),
    Column("raw", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("location", Text, nullable=False),
    Column("ack_code", Text, nullable=False),
    Column("replayed_at", INSTANT, nullable=True),
    Column("replay_result", Text, nullable=True),
)
"""Messages refused (AR) or that failed (AE), with the reason and where in the message."""
