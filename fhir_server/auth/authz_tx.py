"""A sign-in transaction: one authorization request on its way through the pages.

Kept in Redis under an unguessable id that travels in each form's hidden ``tx`` field, so the
pages need no session cookie; it expires after 15 minutes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from fhir_server.auth import redis_state
from fhir_server.auth.pages import error_page
from smart_auth.credentials import random_token

TX_KIND = "authz"
TX_TTL_S = 15 * 60
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
}


async def start(request: Request, data: dict[str, Any]) -> str:
    """Store a new transaction; its id."""
    tx = random_token()
    await redis_state.put_json(request.app.state.redis, TX_KIND, tx, data, TX_TTL_S)
    return tx


async def load(request: Request, tx: str) -> dict[str, Any] | None:
    """The transaction, or None when unknown or expired."""
    data = await redis_state.get_json(request.app.state.redis, TX_KIND, tx) if tx else None
    return data if isinstance(data, dict) else None


async def save(request: Request, tx: str, data: dict[str, Any]) -> None:
    """Store the transaction's new state."""
    await redis_state.put_json(request.app.state.redis, TX_KIND, tx, data, TX_TTL_S)


async def finish(request: Request, tx: str) -> None:
    """Forget the transaction (it cannot be replayed)."""
    await redis_state.delete(request.app.state.redis, TX_KIND, tx)


def html(body: str, status: int = 200) -> HTMLResponse:
    """A page with the headers every authorization page carries."""
    return HTMLResponse(body, status, headers=PAGE_HEADERS)


def expired() -> HTMLResponse:
    """The page for a lost or expired transaction."""
    message = "This sign-in has expired or is unknown. Start again from the application."
    return html(error_page(message), 400)


def redirect(uri: str, params: dict[str, str | None]) -> RedirectResponse:
    """303 to the client's redirect URI with ``params`` added to its query."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    separator = "&" if "?" in uri else "?"
    return RedirectResponse(f"{uri}{separator}{query}", 303, headers={"Cache-Control": "no-store"})
