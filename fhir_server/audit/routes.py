"""The audit area's routes: the AuditEvent search and read, break-glass emergency access.

AuditEvents live in their own append-only table, not in the resource store: these routes
come before the generic REST routes, so ``/fhir/AuditEvent`` is served from that table and
can never be created, changed or deleted through the API (405).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.audit.access import may_read_audit
from fhir_server.audit.emergency import emergency_info_route, emergency_token
from fhir_server.audit.search import as_resource, parse_audit_search, run_audit_search
from fhir_server.db.audit_tables import audit_event
from fhir_server.http.responses import base_url, fhir_response
from resources import error_codes
from resources.errors import Forbidden, MethodNotAllowed, NotFound
from resources.identity import now
from smart_auth.context import AccessContext
from smart_auth.policy import insufficient_scope_headers
from smart_auth.scopes import Interaction

Endpoint = Callable[[Request], Awaitable[Response]]


def _require_auditor(request: Request, interaction: Interaction) -> None:
    access: AccessContext | None = getattr(request.state, "access", None)
    if not may_read_audit(access, interaction):
        raise Forbidden(
            "Reading the audit trail needs an auditor scope (user/ or system/AuditEvent.rs)",
            error_codes.AUDIT_SCOPE_REQUIRED,
            headers=insufficient_scope_headers(),
        )


async def search_audit(request: Request) -> Response:
    """``GET /fhir/AuditEvent``."""
    _require_auditor(request, "s")
    items = list(request.query_params.multi_items())
    query = parse_audit_search(items)
    async with request.app.state.engine.connect() as conn:
        events, more = await run_audit_search(conn, query)
    base = f"{base_url(request)}/AuditEvent"
    self_link = f"{base}?{request.url.query}" if request.url.query else base
    links = [{"relation": "self", "url": self_link}]
    if more:
        kept = [(n, v) for n, v in items if n != "_offset"]
        kept.append(("_offset", str(query.offset + query.count)))
        links.append(
            {"relation": "next", "url": f"{base}?" + "&".join(f"{n}={v}" for n, v in kept)}
        )
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": now().isoformat(),
        "link": links,
        "entry": [
            {"fullUrl": f"{base}/{e['id']}", "resource": e, "search": {"mode": "match"}}
            for e in events
        ],
    }
    return fhir_response(request, bundle)


async def read_audit(request: Request) -> Response:
    """``GET /fhir/AuditEvent/[id]``."""
    _require_auditor(request, "r")
    id_ = request.path_params["id"]
    statement = select(audit_event.c.event, audit_event.c.seq, audit_event.c.hash).where(
        audit_event.c.id == id_
    )
    async with request.app.state.engine.connect() as conn:
        row = (await conn.execute(statement)).first()
    if row is None:
        raise NotFound(f"AuditEvent/{id_} is not known", error_codes.AUDIT_EVENT_NOT_FOUND)
    return fhir_response(request, as_resource(row.event, row.seq, row.hash))


async def read_only(request: Request) -> Response:
    """Any write to ``/fhir/AuditEvent``: 405, the trail is append-only by the server."""
    raise MethodNotAllowed(
        "AuditEvents are written by the server only and never changed",
        error_codes.AUDIT_READ_ONLY,
    )


AUDIT_ROUTES: tuple[tuple[str, str, Endpoint], ...] = (
    ("GET", "/fhir/AuditEvent", search_audit),
    ("POST", "/fhir/AuditEvent/_search", search_audit),
    ("GET", "/fhir/AuditEvent/{id}", read_audit),
    ("POST", "/fhir/AuditEvent", read_only),
    ("PUT", "/fhir/AuditEvent", read_only),
    ("DELETE", "/fhir/AuditEvent", read_only),
    ("PUT", "/fhir/AuditEvent/{id}", read_only),
    ("PATCH", "/fhir/AuditEvent/{id}", read_only),
    ("DELETE", "/fhir/AuditEvent/{id}", read_only),
    ("GET", "/fhir/Patient/{id}/$emergency-info", emergency_info_route),
    ("POST", "/fhir/Patient/{id}/$emergency-info", emergency_info_route),
    ("POST", "/auth/emergency-token", emergency_token),
)
"""Placed before the operation and REST routes, which would otherwise match these paths."""
