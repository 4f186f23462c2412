"""A read whose client has gone is stopped, and its statement cancelled in PostgreSQL.

Starlette runs a handler to its end whatever the client does, so a search, a history page
or an ``$everything`` whose client closed its connection went on running its statements
(up to ``search_timeout_s``, or without end where that is 0) for an answer nobody would
read. For reads under ``/fhir`` (``GET``, ``HEAD``, ``POST .../_search``) this middleware
listens beside the handler for the server's ``http.disconnect``; when it comes before the
response is complete, the handler is cancelled. psycopg answers a cancelled wait by
cancelling the statement in the server (``AsyncConnection.wait``), and the connection goes
back to its pool.

Writes are never cancelled: a write the server received completes or fails as a whole,
whether or not its client stays for the answer. The outer middlewares (request log, audit)
see a stopped request as status 499, nginx's "client closed request"; the client is gone,
so nothing is sent to it.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fhir_server.audit.events import CLIENT_CLOSED

READS = frozenset({"GET", "HEAD"})


def _is_read(scope: Scope) -> bool:
    path: str = scope["path"]
    if not path.startswith("/fhir"):
        return False
    return scope["method"] in READS or (scope["method"] == "POST" and path.endswith("/_search"))


class _Exchange:
    """One request's messages: the server's are read by the listener and handed on to the
    handler; the handler's response is watched for its end."""

    def __init__(self, receive: Receive, send: Send) -> None:
        self._receive, self._send = receive, send
        self._messages: asyncio.Queue[Message | Exception] = asyncio.Queue()
        self.started = False
        self.answered = False
        self.stopped = False

    async def listen(self, handler: asyncio.Task[object]) -> None:
        """Hand the server's messages on; cancel the handler when the client goes first."""
        while True:
            try:
                message = await self._receive()
            except Exception as error:  # a body over the limit: the handler's to answer
                self._messages.put_nowait(error)
                return
            self._messages.put_nowait(message)
            if message["type"] == "http.disconnect":
                if not self.answered:
                    self.stopped = True
                    handler.cancel()
                return

    async def receive(self) -> Message:
        message = await self._messages.get()
        if isinstance(message, Exception):
            raise message
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            self.answered = True
        await self._send(message)


class CancelOnDisconnect:
    """ASGI middleware cancelling a read's handler when its client disconnects."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = asyncio.current_task()
        if scope["type"] != "http" or handler is None or not _is_read(scope):
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(receive, send)
        listener = asyncio.create_task(exchange.listen(handler))
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except asyncio.CancelledError:
            if not exchange.stopped or handler.uncancel() > 0:
                raise  # cancelled from elsewhere too (the server's shutdown)
        else:
            if exchange.stopped:  # the handler caught the cancellation and returned
                handler.uncancel()
        finally:
            listener.cancel()
        if exchange.stopped and not exchange.started:
            await send({"type": "http.response.start", "status": CLIENT_CLOSED, "headers": []})
            await send({"type": "http.response.body", "body": b""})


def install_disconnect_cancel(app: FastAPI) -> None:
    """Add the middleware innermost (call before the guard and the audit are installed), so
    that the request log and the audit record the stopped request."""
    app.add_middleware(CancelOnDisconnect)
