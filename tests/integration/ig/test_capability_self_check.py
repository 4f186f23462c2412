"""The CapabilityStatement tells the truth: each claim about a sample of types is exercised,
and every declared search parameter and include of every type is searched."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.routing import Route

from fhir_server.embedded import ServiceUrls
from fhir_server.http.app import create_app
from fhir_server.settings import Settings
from tests.capability_check import MINIMAL, capability_failures, search_failures_of_every_type
from tests.servers import free_port

pytestmark = pytest.mark.integration

SAMPLE = sorted(MINIMAL)
FHIR_HEADERS = {"Accept": "application/fhir+json", "Content-Type": "application/fhir+json"}


def test_every_declared_claim_for_the_sample_types_holds(client: httpx.Client) -> None:
    assert capability_failures(client, SAMPLE) == []


# Thousands of searches: in parts, which test workers run side by side.
SEARCH_PARTS = 6


@pytest.mark.parametrize("part", range(SEARCH_PARTS))
def test_every_declared_search_parameter_of_every_type_is_searchable(
    client: httpx.Client, part: int
) -> None:
    types, failures = search_failures_of_every_type(client, part, SEARCH_PARTS)
    assert types > 100
    assert failures == []


@pytest.fixture
def app_without_vread(services: ServiceUrls, settings: Settings) -> Iterator[httpx.Client]:
    """The same app with the vread route taken out, while the statement still claims vread."""
    app = create_app(settings, services.database_url, services.redis_url)
    app.router.routes = [
        route
        for route in app.router.routes
        if not (isinstance(route, Route) and route.path == "/fhir/{type}/{id}/_history/{vid}")
    ]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}/fhir"
    try:
        with httpx.Client(base_url=base, headers=FHIR_HEADERS, timeout=30) as http:
            yield http
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_check_fails_when_a_route_is_removed(app_without_vread: httpx.Client) -> None:
    failures = capability_failures(app_without_vread, ["Patient"])
    assert failures
    assert all("vread" in failure for failure in failures), failures
