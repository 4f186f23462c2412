"""Sign-in pages of the authorization endpoint: password, one-time code, patient picker.

Passwords are checked with bcrypt in a worker thread (cost 12 takes a quarter second of CPU);
5 failures in 15 minutes lock the account and the address out (``lockout``).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl

import pyotp
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.auth import authz_tx, launches, lockout, redis_state
from fhir_server.auth.pages import consent_page, login_page, mfa_page, patient_page
from fhir_server.auth.server import auth_server
from fhir_server.auth.users import User, find_for_login, get_user, spend_recovery_code
from smart_auth.credentials import (
    DUMMY_PASSWORD_HASH,
    check_password,
    digest,
    normalise_recovery_code,
)

TOTP_WINDOW = 1
"""Codes of the previous and next 30-second step are accepted (clock skew)."""
FAILED = "The user name or password is wrong."
LOCKED = "Too many failed sign-ins. Try again in 15 minutes."


async def _form(request: Request) -> dict[str, str]:
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace")))


def _ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _locked_out(request: Request, username: str) -> bool:
    limit = auth_server(request).settings.login_ip_max_failures
    return await lockout.is_locked_out(request.app.state.redis, username, _ip(request), limit)


async def _password_ok(request: Request, username: str, password: str) -> User | None:
    async with request.app.state.engine.connect() as conn:
        stored = await find_for_login(conn, username)
    hashed = stored.password_hash if stored else DUMMY_PASSWORD_HASH
    ok = await asyncio.to_thread(check_password, password, hashed)
    return stored.user if ok and stored else None


async def _next_page(request: Request, tx_id: str, tx: dict[str, Any], user: User) -> Response:
    """After sign-in: the patient picker when a practitioner launches standalone, else consent."""
    tx.update(user_id=user.user_id, fhir_user=user.fhir_user, pending_user=None)
    if tx.get("launch_patient"):
        tx["patient"] = tx["launch_patient"]
    elif "launch/patient" in tx["scopes"]:
        if user.role == "patient":
            tx["patient"] = user.fhir_user.split("/", 1)[1]
        else:
            tx["needs_patient"] = True
    await authz_tx.save(request, tx_id, tx)
    if tx.get("needs_patient"):
        async with request.app.state.engine.connect() as conn:
            patients = await launches.list_patients(conn)
        return authz_tx.html(patient_page(tx_id, patients))
    return authz_tx.html(
        consent_page(tx_id, tx["client_name"], tuple(tx["scopes"]), tx.get("patient"))
    )


async def login(request: Request) -> Response:
    """``POST /auth/login``."""
    form = await _form(request)
    tx_id = form.get("tx", "")
    tx = await authz_tx.load(request, tx_id)
    if tx is None:
        return authz_tx.expired()
    username, redis = form.get("username", ""), request.app.state.redis
    if await _locked_out(request, username):
        return authz_tx.html(login_page(tx_id, tx["client_name"], LOCKED), 429)
    user = await _password_ok(request, username, form.get("password", ""))
    if user is None or user.locked:
        await lockout.record_failure(redis, username, _ip(request))
        message = FAILED if user is None else "This account is locked."
        return authz_tx.html(login_page(tx_id, tx["client_name"], message), 401)
    await lockout.record_success(redis, username)
    if user.totp_secret:
        tx["pending_user"] = user.user_id
        await authz_tx.save(request, tx_id, tx)
        return authz_tx.html(mfa_page(tx_id))
    return await _next_page(request, tx_id, tx, user)


async def mfa(request: Request) -> Response:
    """``POST /auth/mfa``: the TOTP code of the user who gave the right password."""
    form = await _form(request)
    tx_id = form.get("tx", "")
    tx = await authz_tx.load(request, tx_id)
    if tx is None or not tx.get("pending_user"):
        return authz_tx.expired()
    async with request.app.state.engine.connect() as conn:
        user = await get_user(conn, tx["pending_user"])
    if user is None or not user.totp_secret:
        return authz_tx.expired()
    redis = request.app.state.redis
    if await _locked_out(request, user.username):
        return authz_tx.html(mfa_page(tx_id, LOCKED), 429)
    if not await _second_factor_ok(request, user, form.get("code", "").strip()):
        await lockout.record_failure(redis, user.username, _ip(request))
        return authz_tx.html(mfa_page(tx_id, "That code is not valid."), 401)
    return await _next_page(request, tx_id, tx, user)


async def _second_factor_ok(request: Request, user: User, code: str) -> bool:
    """A current TOTP code not used before, or one of the account's recovery codes."""
    assert user.totp_secret is not None
    if len(code) == 6 and code.isdigit():
        valid = pyotp.TOTP(user.totp_secret).verify(code, valid_window=TOTP_WINDOW)
        # a code seen once is spent: one read over a shoulder cannot be reused in the window
        key = f"{user.user_id}:{code}"
        return valid and await redis_state.first_use(request.app.state.redis, "totp", key, 120)
    async with request.app.state.engine.begin() as conn:
        return await spend_recovery_code(conn, user.user_id, digest(normalise_recovery_code(code)))


async def choose_patient(request: Request) -> Response:
    """``POST /auth/patient``: the practitioner's choice of patient."""
    form = await _form(request)
    tx_id = form.get("tx", "")
    tx = await authz_tx.load(request, tx_id)
    if tx is None or not tx.get("needs_patient"):
        return authz_tx.expired()
    patient = form.get("patient", "")
    async with request.app.state.engine.connect() as conn:
        found = bool(patient) and await launches.exists(conn, "Patient", patient)
        patients = [] if found else await launches.list_patients(conn)
    if not found:
        return authz_tx.html(patient_page(tx_id, patients, "Choose one of the patients."), 400)
    tx.update(patient=patient, needs_patient=False)
    await authz_tx.save(request, tx_id, tx)
    return authz_tx.html(consent_page(tx_id, tx["client_name"], tuple(tx["scopes"]), patient))
