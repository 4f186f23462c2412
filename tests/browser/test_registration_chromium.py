"""Patient self-registration in Chromium: e-mail, password with its strength check, the
health-data and privacy consents recorded as FHIR Consents of a new Patient (the account's
fhirUser), optional authenticator enrolment; then the new account signs in to an app.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pyotp
import pytest
from playwright.sync_api import Page

from tests.auth_browser import LaunchRequest
from tests.auth_fixtures import TokenMinter
from tests.browser.app_callback import AppCallback
from tests.browser.auth_pages import alert, allow, heading, open_launch, sign_in, verify_code
from tests.integration.smart.test_standalone_launch import exchange

pytestmark = pytest.mark.integration

PASSWORD = "Fresh-Start-2026!"
SCOPES = "launch/patient openid fhirUser patient/*.rs"


def _fill_form(page: Page, email: str, mfa: bool) -> None:
    page.get_by_label("Given name").fill("Mina")
    page.get_by_label("Family name").fill("Haddad")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("stores and uses my health data").check()
    page.get_by_label("privacy notice").check()
    if mfa:
        page.get_by_label("authenticator app").check()
    page.get_by_role("button", name="Create account").click()


def _consents(base: str, mint_token: TokenMinter, patient_id: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {mint_token('system/*.rs')}"}
    bundle = httpx.get(f"{base}/Consent", params={"patient": patient_id}, headers=headers)
    assert bundle.status_code == 200, bundle.text
    return [entry["resource"] for entry in bundle.json().get("entry", [])]


def test_register_with_consents_and_authenticator_then_sign_in(
    page: Page,
    app_callback: AppCallback,
    auth_base_url: str,
    mint_token: TokenMinter,
    register_app: Callable[[str], str],
) -> None:
    email = f"mina-{uuid.uuid4().hex[:8]}@example.org"
    request = LaunchRequest(register_app(SCOPES), app_callback.redirect_uri, SCOPES, auth_base_url)
    open_launch(page, auth_base_url, request)
    page.get_by_role("link", name="Create an account").click()
    assert heading(page) == "Create your account"
    _fill_form(page, email, mfa=True)
    assert heading(page) == "Set up your authenticator app"
    totp = pyotp.TOTP(page.locator("main p code").inner_text())
    first_code = totp.now()
    verify_code_on_enrolment(page, first_code)
    assert heading(page) == "Authenticator app on"
    assert page.locator("main li code").count() == 10
    open_launch(page, auth_base_url, request)
    sign_in(page, email, PASSWORD)
    assert heading(page) == "Verify it is you"
    verify_code(page, first_code)
    assert alert(page) == "That code is not valid."
    verify_code(page, totp.at(time.time() + 30))
    allow(page)
    token = exchange(auth_base_url, request, app_callback.query()["code"])
    assert token.status_code == 200, token.text
    patient_id = token.json()["patient"]
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    patient = httpx.get(f"{auth_base_url}/Patient/{patient_id}", headers=bearer).json()
    assert patient["name"][0]["family"] == "Haddad"
    assert {"system": "email", "value": email, "use": "home"} in patient["telecom"]
    consents = _consents(auth_base_url, mint_token, patient_id)
    kinds = sorted(c["category"][0]["text"] for c in consents)
    assert kinds == ["health-data", "privacy"]
    for consent in consents:
        assert consent["status"] == "active"
        assert consent["patient"]["reference"] == f"Patient/{patient_id}"
        assert consent["provision"]["type"] == "permit"
        assert consent["policyRule"]["coding"][0]["code"] == "OPTIN"
    assert PASSWORD not in page.content()


def verify_code_on_enrolment(page: Page, code: str) -> None:
    """Type the authenticator's first code and turn it on."""
    page.get_by_label("Six-digit code").fill(code)
    page.get_by_role("button", name="Turn on").click()


def test_registration_without_javascript_and_without_authenticator(
    page: Page, auth_base_url: str
) -> None:
    context = page.context.browser
    assert context is not None
    no_js = context.new_context(java_script_enabled=False)
    try:
        tab = no_js.new_page()
        tab.goto(auth_base_url.removesuffix("/fhir") + "/auth/register")
        email = f"mina-{uuid.uuid4().hex[:8]}@example.org"
        _fill_form(tab, email, mfa=False)
        assert heading(tab) == "Account created"
        assert email in tab.content()
    finally:
        no_js.close()


def _post(
    base: str, consents: tuple[str, ...] = ("health-data", "privacy"), **changes: str
) -> httpx.Response:
    """The registration form as a client without the browser's own checks would send it."""
    form = {
        "given": "Mina",
        "family": "Haddad",
        "email": f"mina-{uuid.uuid4().hex[:8]}@example.org",
        "password": PASSWORD,
        "confirm": PASSWORD,
        **changes,
    }
    pairs = [*form.items(), *(("consent", kind) for kind in consents)]
    return httpx.post(
        base.removesuffix("/fhir") + "/auth/register",
        content=urlencode(pairs),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def test_the_server_checks_consents_password_and_address(auth_base_url: str) -> None:
    no_consent = _post(auth_base_url, consents=("health-data",))
    assert no_consent.status_code == 400
    assert "Both consents are needed" in no_consent.text
    weak = _post(auth_base_url, password="password", confirm="password")
    assert weak.status_code == 400
    assert "The password needs" in weak.text
    assert 'value="password"' not in weak.text
    assert _post(auth_base_url, email="not-an-address").status_code == 400
    email = f"mina-{uuid.uuid4().hex[:8]}@example.org"
    assert _post(auth_base_url, email=email).status_code == 200
    again = _post(auth_base_url, email=email.upper())
    assert again.status_code == 400
    assert "exists already" in again.text
