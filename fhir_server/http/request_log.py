"""One log line per request that names what was asked without the values asked for.

``GET /fhir/Patient?family=***&_count=20 200 3.1ms``: the path (resource types, ids,
operations) and the names of the query parameters are kept; every value is masked except
those of the result-shaping controls, which never carry PHI. A search value is where a name,
a birth date or a phone number would otherwise reach the logs.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_log = logging.getLogger("nutrivision.request")
SHOWN = frozenset(
    {
        "_count",
        "_sort",
        "_total",
        "_summary",
        "_elements",
        "_include",
        "_revinclude",
        "_format",
        "_pretty",
        "_type",
    }
)
"""Controls whose values are kept: they name parameters and elements, never data."""


def masked_query(query: str) -> str:
    """The query string with every value but those of ``SHOWN`` replaced by ``***``."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{name}={value if name in SHOWN else '***'}" for name, value in pairs)


class RequestLog:
    """ASGI middleware writing the masked request line, status and duration at INFO."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            query = masked_query(scope.get("query_string", b"").decode("latin-1"))
            path = scope["path"] + (f"?{query}" if query else "")
            elapsed = (time.perf_counter() - started) * 1000
            _log.info("%s %s %d %.1fms", scope["method"], path, status[0], elapsed)
