"""Patient self-registration: ``/auth/register`` and the optional authenticator enrolment
``/auth/register/mfa``. The password is checked for strength, hashed with bcrypt, and never
logged, stored in clear or shown again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

import pyotp
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.auth import authz_tx, redis_state, registration
from fhir_server.auth.registration_pages import (
    enrol_page,
    recovery_page,
    register_page,
    registered_page,
)
from smart_auth.credentials import hash_password
from smart_auth.registration import Registration, registration_problems

Endpoint = Callable[[Request], Awaitable[Response]]
CONSENT_POLICY = "https://nutrivision.example.org/fhir/consent-policy/2026-11"
TOTP_WINDOW = 1


async def register_form(request: Request) -> Response:
    """``GET /auth/register``."""
    return authz_tx.html(register_page())


def _registration(pairs: list[tuple[str, str]]) -> Registration:
    form = dict(pairs)
    return Registration(
        form.get("given", ""),
        form.get("family", ""),
        form.get("email", ""),
        form.get("password", ""),
        form.get("confirm", ""),
        frozenset(value for name, value in pairs if name == "consent"),
        form.get("mfa") == "totp",
    )


async def register(request: Request) -> Response:
    """``POST /auth/register``: create the Patient, its Consents and the account."""
    form = _registration(parse_qsl((await request.body()).decode("utf-8", "replace")))
    kept = {"given": form.given, "family": form.family, "email": form.email}
    problems = registration_problems(form)
    engine = request.app.state.engine
    if not problems and await registration.username_taken(engine, form.email.strip().lower()):
        problems = ["An account with this e-mail address exists already."]
    if problems:
        return authz_tx.html(register_page(problems, kept), 400)
    hashed = await asyncio.to_thread(hash_password, form.password)
    store = request.app.state.store
    user = await registration.register(engine, store, form, hashed, CONSENT_POLICY)
    if not form.wants_mfa:
        return authz_tx.html(registered_page(user.username))
    token, secret = await registration.start_enrolment(request.app.state.redis, user)
    uri = registration.provisioning_uri(user.username, secret)
    return authz_tx.html(enrol_page(token, secret, uri))


async def enrol(request: Request) -> Response:
    """``POST /auth/register/mfa``: turn TOTP on once a first code verifies."""
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    redis, token = request.app.state.redis, form.get("token", "")
    record = await registration.pending_enrolment(redis, token)
    if record is None:
        return authz_tx.expired()
    code = form.get("code", "").strip()
    if not pyotp.TOTP(record["secret"]).verify(code, valid_window=TOTP_WINDOW):
        uri = registration.provisioning_uri(record["username"], record["secret"])
        page = enrol_page(token, record["secret"], uri, "That code is not valid.")
        return authz_tx.html(page, 400)
    # spent as a sign-in code would be: the code typed here cannot sign in within its window
    await redis_state.first_use(redis, "totp", f"{record['user_id']}:{code}", 120)
    codes = await registration.finish_enrolment(request.app.state.engine, redis, token, record)
    return authz_tx.html(recovery_page(codes))


REGISTRATION_ROUTES: tuple[tuple[str, str, Endpoint], ...] = (
    ("GET", "/auth/register", register_form),
    ("POST", "/auth/register", register),
    ("POST", "/auth/register/mfa", enrol),
)
