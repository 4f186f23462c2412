"""The disconnect middleware against the ASGI contract alone (the uvicorn test is in
``tests/integration/test_client_disconnect.py``): a quick read is left alone, a slow one
whose client leaves is cancelled and reported as 499, even by a server that raises on a send
to a closed connection, and a write is never cancelled."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from fhir_server.audit.events import CLIENT_CLOSED
from fhir_server.http.cancel_on_disconnect import CancelOnDisconnect


class _Server:
    """One request's server side: the client leaves after ``leaves_after`` seconds (never if
    None); ``raises`` makes a send after that raise, as ASGI 2.4 allows."""

    def __init__(self, leaves_after: float | None, *, raises: bool = False) -> None:
        self.leaves_after, self.raises = leaves_after, raises
        self.received = 0
        self.sent: list[Message] = []
        self.gone = False

    async def receive(self) -> Message:
        self.received += 1
        if self.received == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        if self.leaves_after is None:
            await asyncio.Event().wait()  # never: the middleware cancels the wait
        await asyncio.sleep(self.leaves_after or 0)
        self.gone = True
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if self.gone and self.raises:
            raise OSError("the client has gone")
        self.sent.append(message)


def _app(seconds: float, finished: list[bool]) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(seconds)  # the statement
        finished.append(True)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


def _run(method: str, path: str, seconds: float, server: _Server) -> list[bool]:
    finished: list[bool] = []
    scope = {"type": "http", "method": method, "path": path, "query_string": b""}
    middleware = CancelOnDisconnect(_app(seconds, finished))
    asyncio.run(asyncio.wait_for(middleware(scope, server.receive, server.send), 10))
    return finished


def test_a_quick_read_is_answered_without_listening() -> None:
    server = _Server(leaves_after=None)
    assert _run("GET", "/fhir/Patient", 0.01, server) == [True]
    assert server.received == 0
    assert [m.get("status") for m in server.sent][:1] == [200]


def test_a_slow_read_whose_client_left_is_stopped_as_499() -> None:
    server = _Server(leaves_after=0.2)
    assert _run("GET", "/fhir/Patient", 5, server) == []
    assert server.sent[0]["status"] == CLIENT_CLOSED


def test_a_slow_read_whose_client_stays_is_answered() -> None:
    server = _Server(leaves_after=None)
    assert _run("POST", "/fhir/Patient/_search", 0.4, server) == [True]
    assert server.sent[0]["status"] == 200


def test_a_server_raising_on_a_closed_connection_is_no_error() -> None:
    server = _Server(leaves_after=0.2, raises=True)
    assert _run("GET", "/fhir/Patient", 5, server) == []
    assert server.sent == []


def test_a_write_whose_client_left_completes() -> None:
    server = _Server(leaves_after=0.05)
    assert _run("POST", "/fhir/Patient", 0.4, server) == [True]
