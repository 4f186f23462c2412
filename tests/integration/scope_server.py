"""A FHIR server for the scope tests whose requests carry a matrix token's ``AccessContext``.

Until the token server lands, one ASGI middleware puts the ``AccessContext`` of the matrix
token named in the ``X-Scope-Test-Token`` header into ``request.state.access``, where the token
verifier will put the verified token's; everything after it is the real app. With real tokens,
``scoped_client`` sends ``Authorization: Bearer <token>`` instead and the middleware goes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from fhir_server.embedded import ServiceUrls
from fhir_server.http.app import create_app
from fhir_server.settings import Settings
from tests.integration.scope_world import World
from tests.servers import free_port

TOKEN_HEADER = b"x-scope-test-token"


class MatrixAccess:
    """Sets ``request.state.access`` from the matrix token named in ``X-Scope-Test-Token``."""

    def __init__(self, app: ASGIApp, world: World) -> None:
        self.app = app
        self.world = world

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            token = dict(scope["headers"]).get(TOKEN_HEADER)
            if token is not None:
                scope.setdefault("state", {})["access"] = self.world.access(token.decode())
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def scoped_url(services: ServiceUrls, world: World) -> Iterator[str]:
    """A server whose requests carry the named matrix token's ``AccessContext``."""
    app = create_app(Settings(), services.database_url, services.redis_url)
    app.add_middleware(MatrixAccess, world=world)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/fhir"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def scoped_client(url: str, token: str | None) -> httpx.Client:
    """A FHIR JSON client acting with the matrix token ``token`` (None: no token)."""
    headers = {"Accept": "application/fhir+json", "Content-Type": "application/fhir+json"}
    if token is not None:
        headers[TOKEN_HEADER.decode()] = token
    return httpx.Client(base_url=url, headers=headers, timeout=30)
