"""``GET /fhir/AuditEvent``: the audit trail as a FHIR search, for auditors only.

Parameters: ``patient`` (id or ``Patient/id``), ``date`` (repeatable, prefixes eq ge gt le lt,
a day or an instant), ``agent`` (a client id, user ``sub`` or ``fhirUser`` reference),
``subtype``, ``action``, ``outcome``, ``_count`` (at most 500) and ``_offset``. Newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from conformance.restrictions import Restriction
from fhir_server.db.audit_tables import audit_event
from resources import error_codes
from resources.errors import Invalid

AUDIT_CAPABILITY = Restriction(
    interactions=("read", "search-type"),
    search_params=("patient", "date", "agent", "subtype", "action", "outcome"),
)
"""What the audit routes serve of AuditEvent, for the CapabilityStatement (``parse_audit_search``
answers exactly these parameters)."""
MAX_COUNT = 500
DEFAULT_COUNT = 50
PREFIXES = ("eq", "ge", "gt", "le", "lt")


def _bad(message: str) -> Invalid:
    return Invalid(message, error_codes.AUDIT_BAD_SEARCH)


def _instant(text: str) -> tuple[datetime, datetime]:
    """[start, end) of a day, or [t, t] of an instant (timezone-aware)."""
    try:
        if len(text) == 10:
            start = datetime.fromisoformat(text + "T00:00:00+00:00")
            return start, start + timedelta(days=1)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _bad(f"date {text!r} is not a day (YYYY-MM-DD) or an instant") from None
    if moment.tzinfo is None:
        raise _bad("a date with a time needs a time zone")
    return moment, moment


def date_condition(value: str) -> ColumnElement[bool]:
    """The condition on ``recorded`` of one ``date`` value."""
    prefix = value[:2] if value[:2] in PREFIXES else "eq"
    start, end = _instant(value[2:] if value[:2] in PREFIXES else value)
    recorded = audit_event.c.recorded
    day = end > start
    conditions = {
        "eq": and_(recorded >= start, recorded < end) if day else recorded == start,
        "ge": recorded >= start,
        "gt": recorded >= end if day else recorded > start,
        "le": recorded < end if day else recorded <= start,
        "lt": recorded < start,
    }
    return conditions[prefix]


@dataclass(frozen=True)
class AuditQuery:
    """A parsed audit search."""

    where: tuple[ColumnElement[bool], ...]
    count: int
    offset: int


def _int(value: str, name: str, high: int) -> int:
    if not value.isdigit():
        raise _bad(f"{name} must be a non-negative integer")
    return min(int(value), high)


def parse_audit_search(items: list[tuple[str, str]]) -> AuditQuery:
    """Parse the query string; an unknown parameter is a 400."""
    where: list[ColumnElement[bool]] = []
    count, offset = DEFAULT_COUNT, 0
    columns = {
        "subtype": audit_event.c.subtype,
        "action": audit_event.c.action,
        "outcome": audit_event.c.outcome,
    }
    for name, value in items:
        if name == "patient":
            where.append(audit_event.c.patient == value.removeprefix("Patient/"))
        elif name == "date":
            where.append(date_condition(value))
        elif name == "agent":
            where.append(audit_event.c.agents.contains([value]))
        elif name in columns:
            where.append(columns[name].in_(value.split(",")))
        elif name == "_count":
            count = _int(value, name, MAX_COUNT)
        elif name == "_offset":
            offset = _int(value, name, 10**9)
        elif name != "_format":
            raise _bad(f"AuditEvent has no search parameter {name!r}")
    return AuditQuery(tuple(where), count, offset)


def _statement(query: AuditQuery) -> Select[Any]:
    return (
        select(audit_event.c.event, audit_event.c.seq, audit_event.c.hash)
        .where(*query.where)
        .order_by(audit_event.c.recorded.desc(), audit_event.c.id)
        .limit(query.count + 1)
        .offset(query.offset)
    )


def as_resource(event: dict[str, Any], seq: int | None, digest: str | None) -> dict[str, Any]:
    """The stored event as served: the chain position in ``meta.tag`` when sealed."""
    resource = dict(event)
    if seq is not None:
        resource["meta"] = {
            "tag": [{"system": "urn:nutrivision:audit-chain", "code": f"{seq}:{digest}"}]
        }
    return resource


async def run_audit_search(
    conn: AsyncConnection, query: AuditQuery
) -> tuple[list[dict[str, Any]], bool]:
    """The matching events of the page, and whether there is a next page."""
    rows = (await conn.execute(_statement(query))).all()
    events = [as_resource(row.event, row.seq, row.hash) for row in rows[: query.count]]
    return events, len(rows) > query.count
