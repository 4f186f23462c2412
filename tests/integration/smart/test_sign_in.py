"""Sign-in rules: bcrypt cost 12, lockout after 5 failures in 15 minutes, TOTP within the
allowed clock skew only, locked accounts refused."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pyotp
import pytest
from sqlalchemy import select

from fhir_server.db.auth_tables import auth_user
from fhir_server.db.engine import create_engine
from fhir_server.embedded import ServiceUrls
from tests.auth_browser import Browser, LaunchRequest, redirect_query
from tests.auth_fixtures import TEST_PASSWORD, create_account, token_endpoint
from tests.integration.smart.test_standalone_launch import REDIRECT, SCOPES, authorize_url

pytestmark = pytest.mark.integration


def _stored_hash(database_url: str, username: str) -> str:
    async def read() -> str:
        engine = create_engine(database_url, 1)
        try:
            async with engine.connect() as conn:
                query = select(auth_user.c.password_hash).where(auth_user.c.username == username)
                return str((await conn.execute(query)).scalar_one())
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_passwords_are_stored_with_bcrypt_cost_12(
    services: ServiceUrls, patient_login: tuple[str, str]
) -> None:
    stored = _stored_hash(services.database_url, patient_login[1])
    assert stored.startswith("$2b$12$")
    assert TEST_PASSWORD not in stored


def test_five_failures_lock_the_account_out(
    browser: Browser,
    auth_base_url: str,
    public_client: Callable[..., str],
    patient_login: tuple[str, str],
) -> None:
    request = LaunchRequest(public_client(SCOPES, REDIRECT), REDIRECT, SCOPES, auth_base_url)
    page = browser.open(authorize_url(auth_base_url), request.params())
    for _ in range(5):
        page = browser.submit(page, {"username": patient_login[1], "password": "wrong"})
        assert page.status_code == 401
        assert "wrong" in page.text
    locked = browser.submit(page, {"username": patient_login[1], "password": TEST_PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text


def test_totp_within_the_window_and_not_outside(
    browser: Browser,
    services: ServiceUrls,
    auth_base_url: str,
    public_client: Callable[..., str],
    patient_login: tuple[str, str],
) -> None:
    secret = pyotp.random_base32()
    username = create_account(
        services.database_url, "patient", f"Patient/{patient_login[0]}", totp_secret=secret
    )
    totp = pyotp.TOTP(secret)
    request = LaunchRequest(public_client(SCOPES, REDIRECT), REDIRECT, SCOPES, auth_base_url)
    page = browser.open(authorize_url(auth_base_url), request.params())
    mfa = browser.submit(page, {"username": username, "password": TEST_PASSWORD})
    assert "authenticator" in mfa.text
    too_old = browser.submit(mfa, {"code": totp.at(time.time() - 120)})
    assert too_old.status_code == 401
    code = totp.at(time.time() - 30)
    skewed = browser.submit(too_old, {"code": code})
    assert skewed.status_code == 200
    assert "Allow access?" in skewed.text
    query = redirect_query(browser.submit(skewed, button=("decision", "allow")))
    assert "code" in query
    page = browser.open(authorize_url(auth_base_url), request.params())
    mfa = browser.submit(page, {"username": username, "password": TEST_PASSWORD})
    reused = browser.submit(mfa, {"code": code})
    assert reused.status_code == 401


def test_a_locked_account_cannot_sign_in(
    browser: Browser,
    services: ServiceUrls,
    auth_base_url: str,
    public_client: Callable[..., str],
) -> None:
    from typer.testing import CliRunner

    from fhir_server.cli import app

    username = create_account(services.database_url, "practitioner", "Practitioner/p9")
    env = {
        "NUTRIVISION_DATABASE_URL": services.database_url,
        "NUTRIVISION_REDIS_URL": services.redis_url,
    }
    locked = CliRunner().invoke(app, ["user", "lock", username], env=env)
    assert locked.exit_code == 0, locked.output
    request = LaunchRequest(public_client(SCOPES, REDIRECT), REDIRECT, SCOPES, auth_base_url)
    page = browser.open(authorize_url(auth_base_url), request.params())
    refused = browser.submit(page, {"username": username, "password": TEST_PASSWORD})
    assert refused.status_code == 401
    assert "locked" in refused.text


def test_a_locked_user_s_refresh_token_stops_working(
    browser: Browser,
    services: ServiceUrls,
    auth_base_url: str,
    public_client: Callable[..., str],
    patient_login: tuple[str, str],
) -> None:
    from typer.testing import CliRunner

    from fhir_server.cli import app
    from tests.integration.smart.test_standalone_launch import exchange, sign_in_and_allow

    request = LaunchRequest(public_client(SCOPES, REDIRECT), REDIRECT, SCOPES, auth_base_url)
    code = sign_in_and_allow(browser, auth_base_url, request, patient_login[1])["code"]
    refresh_token = exchange(auth_base_url, request, code).json()["refresh_token"]
    env = {
        "NUTRIVISION_DATABASE_URL": services.database_url,
        "NUTRIVISION_REDIS_URL": services.redis_url,
    }
    assert CliRunner().invoke(app, ["user", "lock", patient_login[1]], env=env).exit_code == 0
    form = {
        "grant_type": "refresh_token",
        "client_id": request.client_id,
        "refresh_token": refresh_token,
    }
    refused = httpx.post(token_endpoint(auth_base_url), data=form)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"


def test_five_failures_from_one_address_lock_the_address_out(services: ServiceUrls) -> None:
    import uuid

    import redis.asyncio as aioredis

    from fhir_server.auth import lockout

    async def scenario() -> tuple[bool, bool, bool]:
        redis = aioredis.Redis.from_url(services.redis_url)
        ip = f"192.0.2.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}"
        try:
            for n in range(lockout.MAX_FAILURES):
                before = await lockout.is_locked_out(redis, f"someone-{n}", ip)
                await lockout.record_failure(redis, f"someone-{n}", ip)
            fresh_user_same_ip = await lockout.is_locked_out(redis, "fresh", ip)
            other_ip = await lockout.is_locked_out(redis, "fresh", ip + "-other")
            return before, fresh_user_same_ip, other_ip
        finally:
            await redis.aclose()

    before, fresh_user_same_ip, other_ip = asyncio.run(scenario())
    assert before is False
    assert fresh_user_same_ip is True
    assert other_ip is False


def _unlabelled_inputs(html: str) -> list[str]:
    from html.parser import HTMLParser

    class Inputs(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.ids: list[str] = []
            self.labels: set[str] = set()

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = dict(attrs)
            if tag == "input" and found.get("type") != "hidden":
                self.ids.append(found.get("id") or "(no id)")
            if tag == "label":
                self.labels.add(found.get("for") or "")

    parser = Inputs()
    parser.feed(html)
    return [input_id for input_id in parser.ids if input_id not in parser.labels]


def test_pages_label_every_field_and_refuse_framing(
    browser: Browser,
    auth_base_url: str,
    public_client: Callable[..., str],
    patient_login: tuple[str, str],
) -> None:
    request = LaunchRequest(public_client(SCOPES, REDIRECT), REDIRECT, SCOPES, auth_base_url)
    login = browser.open(authorize_url(auth_base_url), request.params())
    consent = browser.submit(login, {"username": patient_login[1], "password": TEST_PASSWORD})
    for page in (login, consent):
        assert '<html lang="en">' in page.text
        assert _unlabelled_inputs(page.text) == []
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"
    assert "autofocus" in login.text
    assert TEST_PASSWORD not in consent.text


def test_a_recovery_code_replaces_the_totp_code_once(
    browser: Browser,
    services: ServiceUrls,
    auth_base_url: str,
    public_client: Callable[..., str],
    patient_login: tuple[str, str],
) -> None:
    from typer.testing import CliRunner

    from fhir_server.cli import app

    username = patient_login[1]
    env = {
        "NUTRIVISION_DATABASE_URL": services.database_url,
        "NUTRIVISION_REDIS_URL": services.redis_url,
    }
    enrolled = CliRunner().invoke(app, ["user", "totp", username], env=env)
    assert enrolled.exit_code == 0, enrolled.output
    codes = enrolled.output.split("recovery codes (each works once):\n")[1].split()
    assert len(codes) == 10
    request = LaunchRequest(public_client(SCOPES, REDIRECT), REDIRECT, SCOPES, auth_base_url)
    for expected in (200, 401):
        page = browser.open(authorize_url(auth_base_url), request.params())
        mfa = browser.submit(page, {"username": username, "password": TEST_PASSWORD})
        answer = browser.submit(mfa, {"code": codes[0].upper()})
        assert answer.status_code == expected
    assert "Allow access?" not in answer.text
