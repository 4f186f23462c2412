"""Account pages: password reset by e-mailed link (``/auth/password/forgot`` and
``/auth/password/reset``) and self-registration (``registration_routes``).

The answer to a request never says whether the account exists, and an account gets at most
one mail a minute (no mail bombing). The link is built from the configured public URL
(``auth_issuer`` or ``base_url``; set one behind a proxy: otherwise the request's Host header,
which a requester controls, decides). The new password is checked for strength, hashed with
bcrypt, and never logged or returned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import Response

from fhir_server.auth import authz_tx, mailer, password_reset, redis_state
from fhir_server.auth.account_pages import (
    done_page,
    forgot_page,
    invalid_link_page,
    reset_page,
    sent_page,
)
from fhir_server.auth.server import auth_server, fhir_base
from fhir_server.auth.users import find_for_login
from fhir_server.http.registration_routes import REGISTRATION_ROUTES
from fhir_server.settings import Settings
from smart_auth.credentials import hash_password, password_problems

Endpoint = Callable[[Request], Awaitable[Response]]
MAIL_EVERY_S = 60


async def _form(request: Request) -> dict[str, str]:
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace")))


def _settings(request: Request) -> Settings:
    return auth_server(request).settings


async def forgot_form(request: Request) -> Response:
    """``GET /auth/password/forgot``."""
    return authz_tx.html(forgot_page())


async def _mail_link(request: Request, username: str) -> None:
    settings, redis = _settings(request), request.app.state.redis
    async with request.app.state.engine.connect() as conn:
        stored = await find_for_login(conn, username)
        email = await password_reset.contact_email(conn, stored.user.fhir_user) if stored else None
    if stored is None or email is None:
        return
    if not await redis_state.first_use(redis, "reset-mail", stored.user.user_id, MAIL_EVERY_S):
        return
    lifetime = settings.password_reset_lifetime_s
    token = await password_reset.issue(redis, stored.user.user_id, username, lifetime)
    root = fhir_base(request).removesuffix("/fhir")
    link = f"{root}/auth/password/reset?{urlencode({'token': token})}"
    message = mailer.reset_message(settings.smtp_sender, email, link, lifetime)
    await asyncio.to_thread(mailer.send, settings, message)


async def forgot(request: Request) -> Response:
    """``POST /auth/password/forgot``: mail a link when the account has an address."""
    username = (await _form(request)).get("username", "").strip()
    if not username:
        return authz_tx.html(forgot_page("Enter your user name."), 400)
    await _mail_link(request, username)
    return authz_tx.html(sent_page(_settings(request).password_reset_lifetime_s))


async def reset_form(request: Request) -> Response:
    """``GET /auth/password/reset?token=...``: the new-password form for a valid link."""
    token = request.query_params.get("token", "")
    if await password_reset.pending(request.app.state.redis, token) is None:
        return authz_tx.html(invalid_link_page(), 400)
    return authz_tx.html(reset_page(token))


def _password_error(password: str, confirm: str) -> str | None:
    problems = password_problems(password)
    if problems:
        return "The password needs " + "; ".join(problems) + "."
    return "The two passwords differ." if password != confirm else None


async def reset(request: Request) -> Response:
    """``POST /auth/password/reset``: check the new password, spend the link, store it."""
    form, redis = await _form(request), request.app.state.redis
    token = form.get("token", "")
    if await password_reset.pending(redis, token) is None:
        return authz_tx.html(invalid_link_page(), 400)
    error = _password_error(form.get("password", ""), form.get("confirm", ""))
    if error:
        return authz_tx.html(reset_page(token, error), 400)
    record = await password_reset.spend(redis, token)
    if record is None:
        return authz_tx.html(invalid_link_page(), 400)
    hashed = await asyncio.to_thread(hash_password, form["password"])
    async with request.app.state.engine.begin() as conn:
        await password_reset.set_password(conn, redis, record, hashed)
    return authz_tx.html(done_page())


ACCOUNT_ROUTES: tuple[tuple[str, str, Endpoint], ...] = (
    ("GET", "/auth/password/forgot", forgot_form),
    ("POST", "/auth/password/forgot", forgot),
    ("GET", "/auth/password/reset", reset_form),
    ("POST", "/auth/password/reset", reset),
    *REGISTRATION_ROUTES,
)
