"""The ASGI application: one explicit route table, error handlers, resources per process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from fastapi import FastAPI
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response

from conformance.guide import PUBLISHED_TYPES
from fhir_server.audit.middleware import install_audit
from fhir_server.audit.routes import AUDIT_ROUTES
from fhir_server.composition import open_store
from fhir_server.food_analysis import food_analysis_services
from fhir_server.heap import startup_objects_frozen
from fhir_server.http import code_checks, errors
from fhir_server.http.account_routes import ACCOUNT_ROUTES
from fhir_server.http.auth_guard import install_auth
from fhir_server.http.bulk_routes import BULK_ROUTES
from fhir_server.http.bundle_routes import bundle_endpoint
from fhir_server.http.cancel_on_disconnect import install_disconnect_cancel
from fhir_server.http.conditional_routes import (
    conditional_delete,
    conditional_patch,
    conditional_update,
)
from fhir_server.http.history_routes import instance_history, system_history, type_history
from fhir_server.http.ig_routes import IG_ROUTES, publish_guide
from fhir_server.http.metrics_routes import METRICS_ROUTES
from fhir_server.http.nutrition_product_routes import NUTRITION_PRODUCT_ROUTES
from fhir_server.http.oauth_routes import OAUTH_ROUTES
from fhir_server.http.operation_routes import invoke
from fhir_server.http.reindex_routes import REINDEX_ROUTES
from fhir_server.http.report_routes import REPORT_ROUTES
from fhir_server.http.request_log import RequestLog
from fhir_server.http.rest_routes import create, delete, patch, read, update, vread
from fhir_server.http.search_param_wiring import start_search_params
from fhir_server.http.search_routes import compartment_search, search, system_search
from fhir_server.http.service_routes import health, metadata, ready
from fhir_server.jobs.wiring import start_jobs
from fhir_server.mllp.runtime import hl7_services
from fhir_server.settings import Settings
from profiles_ig import write_policy
from resources.identity import now

Endpoint = Callable[[Request], Awaitable[Response]]


class ResourceTypeConvertor(Convertor[str]):
    """A path segment that can name a resource type (``Patient``), not ``metadata`` or
    ``_history``: a PUT on those stays a 405 rather than a conditional update of a type."""

    regex = "[A-Z][A-Za-z]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class OperationConvertor(Convertor[str]):
    """A path segment naming an operation: ``$`` and its code."""

    regex = r"\$[A-Za-z][A-Za-z0-9_-]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


OWN_ROUTE_TYPES = frozenset({"AuditEvent", "NutritionProduct", *PUBLISHED_TYPES})
"""Types with routes of their own (the audit trail, the food catalogue, the guide's
conformance resources), which the hot routes leave to them."""


class PlainTypeConvertor(ResourceTypeConvertor):
    """A path segment that can name a resource type without routes of its own."""

    regex = "(?!(?:" + "|".join(sorted(OWN_ROUTE_TYPES)) + ")(?![A-Za-z]))[A-Z][A-Za-z]*"


register_url_convertor("resource_type", ResourceTypeConvertor())
register_url_convertor("plain_type", PlainTypeConvertor())
register_url_convertor("operation", OperationConvertor())

Route = tuple[str, str, Endpoint]

SERVICE_ROUTES: tuple[Route, ...] = (
    ("GET", "/health", health),
    ("GET", "/ready", ready),
    ("GET", "/fhir/metadata", metadata),
)

OPERATION_ROUTES: tuple[Route, ...] = tuple(
    (method, path, invoke)
    for path in (
        "/fhir/{op:operation}",
        "/fhir/{type:resource_type}/{op:operation}",
        "/fhir/{type:resource_type}/{id}/{op:operation}",
    )
    for method in ("GET", "POST")
)

HOT_ROUTES: tuple[Route, ...] = (
    ("GET", "/fhir/{type:plain_type}", search),
    ("GET", "/fhir/{type:plain_type}/{id:fhir_id}", read),
    ("POST", "/fhir/{type:plain_type}", create),
    ("PUT", "/fhir/{type:plain_type}/{id:fhir_id}", update),
    ("POST", "/fhir", bundle_endpoint),
)
"""The requests most made, matched first: the router tries its routes in order, about 5 µs
each on the development machine, and a search came 68th. Their segments match nothing that a
later route answers (``tests/unit/fhir_server/test_route_order.py``); anything else they would
have taken (a lower-case type, an id that is no FHIR id) falls to ``REST_ROUTES``, which
answer it as before."""

REST_ROUTES: tuple[Route, ...] = (
    ("GET", "/fhir", system_search),
    ("GET", "/fhir/", system_search),
    ("POST", "/fhir", bundle_endpoint),
    ("POST", "/fhir/", bundle_endpoint),
    ("GET", "/fhir/_search", system_search),
    ("POST", "/fhir/_search", system_search),
    ("GET", "/fhir/_history", system_history),
    ("GET", "/fhir/{type}/_history", type_history),
    ("POST", "/fhir/{type}/_search", search),
    ("GET", "/fhir/{type}", search),
    ("POST", "/fhir/{type}", create),
    ("PUT", "/fhir/{type:resource_type}", conditional_update),
    ("PATCH", "/fhir/{type:resource_type}", conditional_patch),
    ("DELETE", "/fhir/{type:resource_type}", conditional_delete),
    ("GET", "/fhir/{type}/{id}/_history", instance_history),
    ("GET", "/fhir/{type}/{id}/{member}", compartment_search),
    ("GET", "/fhir/{type}/{id}/_history/{vid}", vread),
    ("GET", "/fhir/{type}/{id}", read),
    ("PUT", "/fhir/{type}/{id}", update),
    ("PATCH", "/fhir/{type}/{id}", patch),
    ("DELETE", "/fhir/{type}/{id}", delete),
)

ROUTES: tuple[Route, ...] = (
    HOT_ROUTES
    + SERVICE_ROUTES
    + METRICS_ROUTES
    + IG_ROUTES
    + BULK_ROUTES
    + REPORT_ROUTES
    + REINDEX_ROUTES
    + AUDIT_ROUTES
    + OPERATION_ROUTES
    + OAUTH_ROUTES
    + ACCOUNT_ROUTES
    + NUTRITION_PRODUCT_ROUTES
    + REST_ROUTES
)
"""Every HTTP route, in match order: each area keeps its own table, added here."""


def create_app(settings: Settings, database_url: str, redis_url: str) -> FastAPI:
    """Build the app; the engine and Redis client are created per process at startup."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_store(settings, database_url, settings.db_pool_size) as opened:
            engine = opened.engine
            app.state.engine = engine
            app.state.redis = aioredis.Redis.from_url(redis_url)
            notices = await start_search_params(  # sets app.state.store
                app, engine, opened.inner, opened.hooks, app.state.redis
            )
            await publish_guide(app.state.store)  # the guide's resources, searchable
            runner = await start_jobs(app, engine)
            try:
                async with hl7_services(engine, app.state.store, settings) as hl7:
                    app.state.services = {
                        **getattr(app.state, "services", {}),
                        **hl7,
                        **food_analysis_services(settings),
                    }
                    with startup_objects_frozen():
                        yield
            finally:
                await runner.stop()
                notices.cancel()
                await app.state.redis.aclose()

    app = FastAPI(
        title="Nutri-Vision FHIR server",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    code_checks.configure(settings)
    write_policy.configure(settings.profile_validation)
    app.state.started_at = now()
    for method, path, endpoint in ROUTES:
        app.add_api_route(path, endpoint, methods=[method], include_in_schema=False)
    errors.install(app)
    install_disconnect_cancel(app)
    install_auth(app, settings)
    install_audit(app)  # after the guard: refused requests are audited too
    app.add_middleware(RequestLog)
    return app
