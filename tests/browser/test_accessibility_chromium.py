"""The authorization pages are usable from the keyboard and by screen readers: every input has
a label, Tab moves through the form in its order, the first field has the focus, errors are
announced, and the whole sign-in can be done with the keyboard alone.

https://www.w3.org/WAI/WCAG21/quickref/#labels-or-instructions
https://www.w3.org/WAI/WCAG21/quickref/#focus-order
"""

from __future__ import annotations

from collections.abc import Callable

import pyotp
import pytest
from playwright.sync_api import Page

from fhir_server.embedded import ServiceUrls
from tests.auth_browser import LaunchRequest
from tests.auth_fixtures import TEST_PASSWORD, create_account
from tests.browser.app_callback import AppCallback
from tests.browser.auth_pages import alert, heading, open_launch, tab_order, unlabelled_inputs
from tests.browser.conftest import off_loop

pytestmark = pytest.mark.integration

SCOPES = "launch/patient openid fhirUser patient/*.rs"


def _check_page(page: Page, title: str, first_field: str | None) -> None:
    assert heading(page) == title
    assert page.evaluate("() => document.documentElement.lang") == "en"
    assert title in page.title()
    assert unlabelled_inputs(page) == []
    if first_field:
        assert page.evaluate("() => document.activeElement.id") == first_field
    expected, seen = tab_order(page)
    assert seen == expected


def _press_enter(page: Page) -> None:
    """Enter submits the form; wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_every_page_is_labelled_and_tab_follows_the_form_using_the_keyboard_only(
    page: Page,
    app_callback: AppCallback,
    services: ServiceUrls,
    auth_base_url: str,
    register_app: Callable[[str], str],
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
    open_launch(page, auth_base_url, request)
    _check_page(page, "Sign in", "username")
    page.keyboard.press("Tab")  # from the button back round to the page's start
    page.get_by_label("User name").focus()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type("not the password")
    _press_enter(page)
    assert alert(page) == "The user name or password is wrong."
    _check_page(page, "Sign in", "username")
    page.get_by_label("User name").focus()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    _press_enter(page)
    _check_page(page, "Verify it is you", "code")
    page.get_by_label("Six-digit code").focus()
    page.keyboard.type(pyotp.TOTP(secret).now())
    _press_enter(page)
    _check_page(page, "Allow access?", None)
    page.get_by_role("button", name="Allow").focus()
    _press_enter(page)
    assert app_callback.query()["state"] == request.state


@pytest.mark.parametrize(
    ("path", "title", "first_field"),
    [
        ("/auth/register", "Create your account", None),
        ("/auth/password/forgot", "Forgot your password?", "username"),
    ],
)
def test_account_pages_are_labelled_and_tab_follows_the_form(
    page: Page, auth_base_url: str, path: str, title: str, first_field: str | None
) -> None:
    page.goto(auth_base_url.removesuffix("/fhir") + path)
    _check_page(page, title, first_field)
