"""The whole sign-in of a standalone launch in headless Chromium: password, one-time code
(computed with pyotp), consent, and the redirect to the application with a code that is then
exchanged for a token; lockout; granting fewer scopes; the pages without JavaScript.

https://hl7.org/fhir/smart-app-launch/app-launch.html#obtain-authorization-code
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser, Page

from fhir_server.embedded import ServiceUrls
from tests.auth_browser import LaunchRequest
from tests.auth_fixtures import TEST_PASSWORD, TokenMinter, create_account
from tests.browser.app_callback import AppCallback
from tests.browser.auth_pages import (
    alert,
    allow,
    heading,
    open_launch,
    sign_in,
    unlabelled_inputs,
    verify_code,
)
from tests.browser.conftest import off_loop, open_context
from tests.integration.smart.conftest import create_patient
from tests.integration.smart.test_standalone_launch import exchange

pytestmark = pytest.mark.integration

SCOPES = "launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs"
RegisterApp = Callable[[str], str]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _invalid_code(totp: pyotp.TOTP) -> str:
    """Six digits that are not a code of this or the neighbouring time steps."""
    return next(c for c in ("000000", "111111", "222222") if not totp.verify(c, valid_window=1))


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_password_totp_and_consent_end_at_the_redirect_with_a_code(
    javascript: bool,
    chromium: Browser,
    app_callback: AppCallback,
    services: ServiceUrls,
    auth_base_url: str,
    mint_token: TokenMinter,
    register_app: RegisterApp,
) -> None:
    patient_id = create_patient(auth_base_url, mint_token, "Okafor")
    secret = pyotp.random_base32()
    username = off_loop(
        create_account,
        services.database_url,
        "patient",
        f"Patient/{patient_id}",
        totp_secret=secret,
    )
    request = LaunchRequest(register_app(SCOPES), app_callback.redirect_uri, SCOPES, auth_base_url)
    context = open_context(chromium, javascript)
    try:
        page = context.new_page()
        open_launch(page, auth_base_url, request)
        assert heading(page) == "Sign in"
        sign_in(page, username, TEST_PASSWORD)
        assert heading(page) == "Verify it is you"
        verify_code(page, pyotp.TOTP(secret).now())
        assert heading(page) == "Allow access?"
        allow(page)
    finally:
        context.close()
    query = app_callback.query()
    assert query["state"] == request.state
    token = exchange(auth_base_url, request, query["code"])
    assert token.status_code == 200, token.text
    assert token.json()["patient"] == patient_id
    assert token.json()["scope"] == SCOPES
    read = httpx.get(
        f"{auth_base_url}/Patient/{patient_id}", headers=_bearer(token.json()["access_token"])
    )
    assert read.status_code == 200
    assert read.json()["name"][0]["family"] == "Okafor"


def test_a_wrong_totp_code_is_refused(
    chromium: Browser,
    app_callback: AppCallback,
    services: ServiceUrls,
    auth_base_url: str,
    register_app: RegisterApp,
    patient_account: tuple[str, str],
) -> None:
    secret = pyotp.random_base32()
    username = off_loop(
        create_account,
        services.database_url,
        "patient",
        f"Patient/{patient_account[0]}",
        totp_secret=secret,
    )
    request = LaunchRequest(register_app(SCOPES), app_callback.redirect_uri, SCOPES, auth_base_url)
    context = open_context(chromium)
    try:
        page = context.new_page()
        open_launch(page, auth_base_url, request)
        sign_in(page, username, TEST_PASSWORD)
        verify_code(page, _invalid_code(pyotp.TOTP(secret)))
        assert alert(page) == "That code is not valid."
        assert heading(page) == "Verify it is you"
    finally:
        context.close()
    assert app_callback.urls == []


def test_five_wrong_passwords_lock_out_the_right_one(
    page: Page,
    app_callback: AppCallback,
    auth_base_url: str,
    register_app: RegisterApp,
    patient_account: tuple[str, str],
) -> None:
    request = LaunchRequest(register_app(SCOPES), app_callback.redirect_uri, SCOPES, auth_base_url)
    open_launch(page, auth_base_url, request)
    for attempt in range(5):
        sign_in(page, patient_account[1], f"wrong-{attempt}")
        assert alert(page) == "The user name or password is wrong."
    with page.expect_response(re.compile(r"/auth/login$")) as sixth:
        sign_in(page, patient_account[1], TEST_PASSWORD)
    assert sixth.value.status == 429
    assert alert(page) == "Too many failed sign-ins. Try again in 15 minutes."
    assert heading(page) == "Sign in"
    assert app_callback.urls == []


def test_consent_unticking_a_scope_grants_fewer(
    page: Page,
    app_callback: AppCallback,
    auth_base_url: str,
    mint_token: TokenMinter,
    register_app: RegisterApp,
    patient_account: tuple[str, str],
) -> None:
    patient_id, username = patient_account
    request = LaunchRequest(register_app(SCOPES), app_callback.redirect_uri, SCOPES, auth_base_url)
    open_launch(page, auth_base_url, request)
    sign_in(page, username, TEST_PASSWORD)
    observations = page.get_by_label("patient/Observation.rs")
    assert observations.is_checked()
    observations.uncheck()
    allow(page)
    token = exchange(auth_base_url, request, app_callback.query()["code"])
    assert token.status_code == 200, token.text
    granted = token.json()["scope"].split()
    assert "patient/Observation.rs" not in granted
    assert "patient/Patient.rs" in granted
    bearer = _bearer(token.json()["access_token"])
    search = httpx.get(
        f"{auth_base_url}/Observation", params={"patient": patient_id}, headers=bearer
    )
    assert search.status_code == 403
    assert httpx.get(f"{auth_base_url}/Patient/{patient_id}", headers=bearer).status_code == 200


def test_a_practitioner_picks_the_patient(
    page: Page,
    app_callback: AppCallback,
    services: ServiceUrls,
    auth_base_url: str,
    mint_token: TokenMinter,
    register_app: RegisterApp,
) -> None:
    patient_id = create_patient(auth_base_url, mint_token, "Lindqvist")
    username = off_loop(create_account, services.database_url, "practitioner", "Practitioner/p1")
    scopes = "launch/patient openid fhirUser patient/*.rs"
    request = LaunchRequest(register_app(scopes), app_callback.redirect_uri, scopes, auth_base_url)
    open_launch(page, auth_base_url, request)
    sign_in(page, username, TEST_PASSWORD)
    assert heading(page) == "Choose a patient"
    assert unlabelled_inputs(page) == []
    page.get_by_label(f"Ana Lindqvist ({patient_id})").check()
    page.get_by_role("button", name="Continue").click()
    assert heading(page) == "Allow access?"
    assert patient_id in page.get_by_role("main").inner_text()
    allow(page)
    token = exchange(auth_base_url, request, app_callback.query()["code"])
    assert token.status_code == 200, token.text
    assert token.json()["patient"] == patient_id
