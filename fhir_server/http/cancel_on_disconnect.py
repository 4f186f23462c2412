"""A read whose client has gone is stopped, and its statement cancelled in PostgreSQL.

Starlette runs a handler to its end whatever the client does, so a search, a history page
or an ``$everything`` whose client closed its connection went on running its statements
(up to ``search_timeout_s``, or without end where that is 0) for an answer nobody would
read. For reads under ``/fhir`` (``GET``, ``HEAD``, ``POST .../_search``) this middleware
listens for the server's ``http.disconnect`` once the handler has run for ``LISTEN_AFTER_S``
(a task per request would cost every quick read; a disconnect that came earlier is reported
at once then); when it comes before the response is complete, the handler is cancelled.
psycopg answers a cancelled wait by cancelling the statement in the server
(``AsyncConnection.wait``), and the connection goes back to its pool.

Writes are never cancelled: a write the server received completes or fails as a whole,
whether or not its client stays for the answer. The outer middlewares (request log, audit)
see a stopped request as status 499, nginx's "client closed request"; the client is gone,
so nothing is sent to it.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fhir_server.audit.events import CLIENT_CLOSED

READS = frozenset({"GET", "HEAD"})
LISTEN_AFTER_S = 0.1
"""How long a read runs before its client's connection is watched."""


def _is_read(scope: Scope) -> bool:
    path: str = scope["path"]
    if not path.startswith("/fhir"):
        return False
    return scope["method"] in READS or (scope["method"] == "POST" and path.endswith("/_search"))


class _Exchange:
    """One request: the handler's receive and send, and, once started, the listener that
    reads the server's messages for it (one reader at a time: the handler until then)."""

    def __init__(self, receive: Receive, send: Send, handler: asyncio.Task[object]) -> None:
        self._receive, self._send, self._handler = receive, send, handler
        self._messages: asyncio.Queue[Message | Exception] | None = None
        self._receiving = False
        self.listener: asyncio.Task[None] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.started = False
        self.answered = False
        self.stopped = False

    def listen(self) -> None:
        """Start the listener (the timer's callback), unless the handler is reading."""
        loop = asyncio.get_running_loop()
        if self.answered:
            return
        if self._receiving:  # a body still coming in: look again later
            self.timer = loop.call_later(LISTEN_AFTER_S, self.listen)
            return
        self._messages = asyncio.Queue()
        self.listener = loop.create_task(self._listen(self._messages))

    async def _listen(self, messages: asyncio.Queue[Message | Exception]) -> None:
        """Hand the server's messages on; cancel the handler when the client goes first."""
        while True:
            try:
                message = await self._receive()
            except Exception as error:  # a body over the limit: the handler's to answer
                messages.put_nowait(error)
                return
            messages.put_nowait(message)
            if message["type"] == "http.disconnect":
                if not self.answered:
                    self.stopped = True
                    self._handler.cancel()
                return

    async def receive(self) -> Message:
        if self._messages is None:
            self._receiving = True
            try:
                return await self._receive()
            finally:
                self._receiving = False
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

    def close(self) -> None:
        """Stop listening (the handler has returned)."""
        if self.timer is not None:
            self.timer.cancel()
        if self.listener is not None:
            self.listener.cancel()


class CancelOnDisconnect:
    """ASGI middleware cancelling a read's handler when its client disconnects."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = asyncio.current_task()
        if scope["type"] != "http" or handler is None or not _is_read(scope):
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(receive, send, handler)
        exchange.timer = asyncio.get_running_loop().call_later(LISTEN_AFTER_S, exchange.listen)
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except asyncio.CancelledError:
            if not exchange.stopped or handler.uncancel() > 0:
                raise  # cancelled from elsewhere too (the server's shutdown)
        else:
            if exchange.stopped:  # the handler caught the cancellation and returned
                handler.uncancel()
        finally:
            exchange.close()
        if exchange.stopped and not exchange.started:
            # for the outer middlewares: servers that follow ASGI 2.4 may raise on a send
            # to a closed connection, once the status has passed through them
            with contextlib.suppress(OSError):
                await send({"type": "http.response.start", "status": CLIENT_CLOSED, "headers": []})
                await send({"type": "http.response.body", "body": b""})


def install_disconnect_cancel(app: FastAPI) -> None:
    """Add the middleware innermost (call before the guard and the audit are installed), so
    that the request log and the audit record the stopped request."""
    app.add_middleware(CancelOnDisconnect)
