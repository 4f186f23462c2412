"""Password reset by e-mailed link over real SMTP (an aiosmtpd server in the test): the request
page, the mail, the new-password page with its strength check, single use, short life, and no
password in any page or log line.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import redis
from playwright.sync_api import Page

from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from smart_auth.credentials import digest
from tests.auth_browser import LaunchRequest
from tests.auth_fixtures import TEST_IP_MAX_FAILURES, TEST_PASSWORD, TokenMinter, create_account
from tests.browser.app_callback import AppCallback
from tests.browser.auth_pages import alert, heading, open_launch, sign_in
from tests.browser.conftest import off_loop
from tests.browser.mailbox import Mailbox, reset_link, running_mailbox
from tests.servers import running_server

pytestmark = pytest.mark.integration

NEW_PASSWORD = "N3w-and-l0nger!"
LIFETIME_S = 600


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    """The SMTP server the FHIR server sends through."""
    with running_mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def mail_base_url(services: ServiceUrls, mailbox: Mailbox) -> Iterator[str]:
    """FHIR base of a server with auth on that sends mail to ``mailbox``."""
    with tempfile.TemporaryDirectory(prefix="nutrivision-mail-") as data_dir:
        settings = Settings(
            data_dir=Path(data_dir),
            auth_required=True,
            login_ip_max_failures=TEST_IP_MAX_FAILURES,
            smtp_host="127.0.0.1",
            smtp_port=mailbox.port,
            smtp_sender="accounts@nutrivision.test",
            password_reset_lifetime_s=LIFETIME_S,
        )
        with running_server(services, settings) as url:
            yield url


def _account_with_email(
    services: ServiceUrls, base: str, mint_token: TokenMinter
) -> tuple[str, str]:
    """A patient account whose Patient (stored through ``base``, the server ``mint_token``
    signs for; the database is shared) has an e-mail address: (user name, address)."""
    address = f"ana-{uuid.uuid4().hex[:8]}@example.org"
    body = {
        "resourceType": "Patient",
        "name": [{"family": "Silva"}],
        "telecom": [
            {"system": "phone", "value": "+1 555 0100"},
            {"system": "email", "value": address},
        ],
    }
    headers = {"Authorization": f"Bearer {mint_token('system/*.cruds')}"}
    created = httpx.post(f"{base}/Patient", json=body, headers=headers)
    assert created.status_code == 201, created.text
    fhir_user = f"Patient/{created.json()['id']}"
    return off_loop(create_account, services.database_url, "patient", fhir_user), address


def _auth(base: str) -> str:
    return base.removesuffix("/fhir") + "/auth"


def _ask_for_link(base: str, username: str) -> httpx.Response:
    return httpx.post(f"{_auth(base)}/password/forgot", data={"username": username})


def _set_password(base: str, token: str, password: str) -> httpx.Response:
    form = {"token": token, "password": password, "confirm": password}
    return httpx.post(f"{_auth(base)}/password/reset", data=form)


def _token(link: str) -> str:
    return parse_qs(urlparse(link).query)["token"][0]


def test_reset_by_emailed_link_in_chromium(
    page: Page,
    services: ServiceUrls,
    mailbox: Mailbox,
    mail_base_url: str,
    auth_base_url: str,
    mint_token: TokenMinter,
    app_callback: AppCallback,
    register_app: Callable[[str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    username, address = _account_with_email(services, auth_base_url, mint_token)
    already = len(mailbox.messages)
    scopes = "launch/patient patient/*.rs"
    request = LaunchRequest(register_app(scopes), app_callback.redirect_uri, scopes, mail_base_url)
    open_launch(page, mail_base_url, request)
    page.get_by_role("link", name="Forgot your password?").click()
    assert heading(page) == "Forgot your password?"
    page.get_by_label("User name").fill(username)
    page.get_by_role("button", name="Send reset link").click()
    assert heading(page) == "Check your e-mail"
    message = mailbox.wait_for(already + 1)[already]
    assert message["To"] == address
    assert message["From"] == "accounts@nutrivision.test"
    link = reset_link(message)
    assert link.startswith(_auth(mail_base_url))
    page.goto(link)
    assert heading(page) == "Choose a new password"
    _choose(page, "weakpass", "weakpass")
    assert "The password needs" in alert(page)
    _choose(page, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert alert(page) == "The two passwords differ."
    _choose(page, NEW_PASSWORD, NEW_PASSWORD)
    assert heading(page) == "Password changed"
    assert NEW_PASSWORD not in page.content()
    assert NEW_PASSWORD not in caplog.text
    assert _token(link) not in caplog.text
    open_launch(page, mail_base_url, request)
    sign_in(page, username, TEST_PASSWORD)
    assert alert(page) == "The user name or password is wrong."
    sign_in(page, username, NEW_PASSWORD)
    assert heading(page) == "Allow access?"


def _choose(page: Page, password: str, again: str) -> None:
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("New password again").fill(again)
    page.get_by_role("button", name="Set password").click()


def test_a_link_works_once_and_is_short_lived(
    services: ServiceUrls,
    mailbox: Mailbox,
    mail_base_url: str,
    auth_base_url: str,
    mint_token: TokenMinter,
) -> None:
    username, _ = _account_with_email(services, auth_base_url, mint_token)
    already = len(mailbox.messages)
    assert _ask_for_link(mail_base_url, username).status_code == 200
    token = _token(reset_link(mailbox.wait_for(already + 1)[already]))
    with redis.Redis.from_url(services.redis_url) as store:
        ttl = store.ttl(f"nv:auth:password-reset:{digest(token)}")
    assert 0 < ttl <= LIFETIME_S
    assert _set_password(mail_base_url, token, "short").status_code == 400
    first = _set_password(mail_base_url, token, NEW_PASSWORD)
    assert first.status_code == 200
    assert NEW_PASSWORD not in first.text
    again = _set_password(mail_base_url, token, "An0ther-passw0rd!")
    assert again.status_code == 400
    assert "not valid any more" in again.text
    reopened = httpx.get(f"{_auth(mail_base_url)}/password/reset", params={"token": token})
    assert reopened.status_code == 400
    forged = _set_password(mail_base_url, token[:-2] + "xx", NEW_PASSWORD)
    assert forged.status_code == 400


def test_the_answer_does_not_reveal_the_account_and_mail_is_not_repeated_at_once(
    services: ServiceUrls,
    mailbox: Mailbox,
    mail_base_url: str,
    auth_base_url: str,
    mint_token: TokenMinter,
) -> None:
    username, _ = _account_with_email(services, auth_base_url, mint_token)
    already = len(mailbox.messages)
    known = _ask_for_link(mail_base_url, username)
    mailbox.wait_for(already + 1)
    unknown = _ask_for_link(mail_base_url, f"nobody-{uuid.uuid4().hex[:8]}")
    assert unknown.status_code == known.status_code == 200
    assert unknown.text == known.text
    repeated = _ask_for_link(mail_base_url, username)
    assert repeated.text == known.text
    assert len(mailbox.messages) == already + 1
