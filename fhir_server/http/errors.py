"""One place where errors become OperationOutcome responses with their HTTP status."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import orjson
from fastapi import FastAPI
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from resources import error_codes
from resources.errors import FhirError, Issue, operation_outcome

_log = logging.getLogger(__name__)
_MEDIA = "application/fhir+json; charset=utf-8"
_HTTP_CODES = {
    404: ("not-found", error_codes.ENDPOINT_NOT_FOUND),
    405: ("not-supported", error_codes.METHOD_NOT_ALLOWED),
}


def _outcome(
    status: int, body: dict[str, object], headers: Mapping[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(body), status, dict(headers or {}), media_type=_MEDIA)


async def fhir_error(request: Request, error: Exception) -> Response:
    """Render a ``FhirError`` (its own status and issues)."""
    assert isinstance(error, FhirError)
    return _outcome(error.status, error.outcome(), error.headers or None)


async def http_error(request: Request, error: Exception) -> Response:
    """Render routing errors (no such endpoint, method not allowed) as OperationOutcome."""
    assert isinstance(error, HTTPException)
    code, nv_code = _HTTP_CODES.get(error.status_code, ("processing", error_codes.INTERNAL))
    message = f"{request.method} {request.url.path}: {error.detail}"
    issue = Issue("error", code, message, nv_code=nv_code)
    return _outcome(error.status_code, operation_outcome([issue]), error.headers)


async def database_unavailable(request: Request, error: Exception) -> Response:
    """The database cannot be reached: 503, so clients and balancers retry elsewhere."""
    _log.error("database unavailable on %s %s: %s", request.method, request.url.path, error)
    message = "The database is unavailable; retry later"
    issue = Issue("error", "transient", message, nv_code=error_codes.DATABASE_UNAVAILABLE)
    return _outcome(503, operation_outcome([issue]), {"Retry-After": "5"})


async def unexpected_error(request: Request, error: Exception) -> Response:
    """Anything else: a 500 that names no internals; the log keeps the trace."""
    _log.exception("unhandled error on %s %s", request.method, request.url.path)
    issue = Issue("fatal", "exception", "Internal server error", nv_code=error_codes.INTERNAL)
    return _outcome(500, operation_outcome([issue]))


def install(app: FastAPI) -> None:
    """Register the handlers on an app."""
    app.add_exception_handler(FhirError, fhir_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(OperationalError, database_unavailable)
    app.add_exception_handler(InterfaceError, database_unavailable)
    app.add_exception_handler(Exception, unexpected_error)
