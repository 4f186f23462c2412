"""Service endpoints: ``/health`` (liveness), ``/ready`` (dependencies), ``/fhir/metadata``."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from conformance.capability_statement import capability_statement
from conformance.statement_views import view
from fhir_server.audit.search import AUDIT_CAPABILITY
from fhir_server.auth.server import endpoints
from fhir_server.db.migrate import head_revision
from fhir_server.http.negotiation import response_media_type
from fhir_server.http.responses import base_url, fhir_response
from fhir_server.ml_services import model_references, model_status
from resources.identity import instant

_CHECK_TIMEOUT_S = 2.0


async def health(request: Request) -> Response:
    """The process is alive and serving."""
    return JSONResponse({"status": "pass"})


async def _database(request: Request) -> dict[str, Any]:
    async with request.app.state.engine.connect() as conn:
        current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    head = head_revision()
    ok = current == head
    return {"status": "pass" if ok else "fail", "revision": current, "head": head}


async def _redis(request: Request) -> dict[str, Any]:
    await request.app.state.redis.ping()
    return {"status": "pass"}


async def _check(name: str, probe: Any, request: Request) -> tuple[str, dict[str, Any]]:
    try:
        return name, await asyncio.wait_for(probe(request), _CHECK_TIMEOUT_S)
    except Exception as error:  # a failed dependency is a result here, not a crash
        return name, {"status": "fail", "error": type(error).__name__}


async def ready(request: Request) -> Response:
    """PostgreSQL and Redis reachable, schema at the code's migration head."""
    results = dict(
        await asyncio.gather(
            _check("database", _database, request), _check("redis", _redis, request)
        )
    )
    ok = all(result["status"] == "pass" for result in results.values())
    body = {"status": "pass" if ok else "fail", "checks": results}
    if models := model_status(getattr(request.app.state, "services", {})):
        body["models"] = models  # reported, not required: a model still loading is not an outage
    return JSONResponse(body, status_code=200 if ok else 503)


async def metadata(request: Request) -> Response:
    """``GET [base]/metadata``: the CapabilityStatement (``mode``, ``_summary``)."""
    response_media_type(request)
    started = instant(request.app.state.started_at)
    urls = endpoints(request)
    oauth_uris = {
        "authorize": urls.authorize,
        "token": urls.token,
        "introspect": urls.introspect,
        "revoke": urls.revoke,
    }
    restrictions = {"AuditEvent": AUDIT_CAPABILITY}  # served by the audit routes
    models = model_references(getattr(request.app.state, "services", {}))
    statement = capability_statement(
        base_url(request), started, oauth_uris, None, restrictions, models
    )
    params = request.query_params
    return fhir_response(request, view(statement, params.get("mode"), params.get("_summary")))
