"""The contract with the access policy: an authenticated FHIR request carries
``request.state.access``, the AccessContext of its verified token; with auth off it is None."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fhir_server.embedded import ServiceUrls
from fhir_server.http.app import create_app
from fhir_server.settings import Settings
from tests.auth_fixtures import TokenMinter

pytestmark = pytest.mark.integration


async def _echo(request: Request) -> Response:
    access = request.state.access
    return JSONResponse(None if access is None else dataclasses.asdict(access))


def _call(settings: Settings, services: ServiceUrls, headers: dict[str, str]) -> httpx.Response:
    app = create_app(settings, services.database_url, services.redis_url)
    app.router.routes.insert(0, APIRoute("/fhir/Echo/access", _echo, methods=["GET"]))

    async def call() -> httpx.Response:
        app.state.redis = aioredis.Redis.from_url(services.redis_url)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                return await http.get("/fhir/Echo/access", headers=headers)
        finally:
            await app.state.redis.aclose()

    return asyncio.run(call())


def test_the_verified_grant_is_on_request_state(
    services: ServiceUrls, auth_settings: Settings, mint_token: TokenMinter
) -> None:
    token = mint_token(
        "launch patient/*.rs",
        client_id="app-1",
        patient="p1",
        encounter="e1",
        subject="u1",
        fhir_user="Practitioner/d1",
    )
    response = _call(auth_settings, services, {"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    access: dict[str, Any] = response.json()
    assert access["client_id"] == "app-1"
    assert access["scopes"] == ["launch", "patient/*.rs"]
    assert (access["patient"], access["encounter"]) == ("p1", "e1")
    assert (access["subject"], access["fhir_user"]) == ("u1", "Practitioner/d1")
    assert access["token_id"]


def test_auth_off_leaves_no_access_context(services: ServiceUrls, settings: Settings) -> None:
    response = _call(settings, services, {})
    assert response.status_code == 200
    assert response.json() is None


def test_auth_on_without_token_never_reaches_the_endpoint(
    services: ServiceUrls, auth_settings: Settings
) -> None:
    assert _call(auth_settings, services, {}).status_code == 401
