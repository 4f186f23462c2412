"""Steps a user takes on the authorization pages in Chromium, found by label and role as a
screen reader would find them."""

from __future__ import annotations

from urllib.parse import urlencode

from playwright.sync_api import Page

from tests.auth_browser import LaunchRequest
from tests.browser.app_callback import CALLBACK_PATH

FOCUSABLE_IN_FORM = """() => Array.from(document.querySelectorAll(
    'form input:not([type=hidden]), form button, form select, form textarea'
)).map(e => e.id || e.textContent.trim())"""
UNLABELLED = """() => Array.from(document.querySelectorAll(
    'input:not([type=hidden]), select, textarea'
)).filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.name)"""
ACTIVE = "() => { const e = document.activeElement; return e.id || e.textContent.trim() }"


def authorize_url(base: str) -> str:
    """The authorization endpoint beside a FHIR base."""
    return base.removesuffix("/fhir") + "/auth/authorize"


def open_launch(page: Page, base: str, request: LaunchRequest) -> None:
    """Open the application's authorization request (as the app's redirect would)."""
    page.goto(f"{authorize_url(base)}?{urlencode(request.params())}")


def heading(page: Page) -> str:
    """The page's main heading."""
    return page.get_by_role("heading", level=1).inner_text()


def alert(page: Page) -> str:
    """The error announced on the page."""
    return page.get_by_role("alert").inner_text()


def sign_in(page: Page, username: str, password: str) -> None:
    """Type the user name and password and press the Sign in button."""
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def verify_code(page: Page, code: str) -> None:
    """Type the one-time code and press Verify."""
    page.get_by_label("Six-digit code").fill(code)
    page.get_by_role("button", name="Verify").click()


def allow(page: Page) -> None:
    """Press Allow on the consent page and wait for the application's redirect URI."""
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"**{CALLBACK_PATH}?**")


def unlabelled_inputs(page: Page) -> list[str]:
    """Names of the visible inputs that have no label."""
    return list(page.evaluate(UNLABELLED))


def tab_order(page: Page) -> tuple[list[str], list[str]]:
    """(the form's controls in document order, where each press of Tab moved the focus)."""
    expected: list[str] = list(page.evaluate(FOCUSABLE_IN_FORM))
    if page.evaluate("() => document.activeElement === document.body"):
        page.keyboard.press("Tab")
    seen = [str(page.evaluate(ACTIVE))]
    for _ in expected[1:]:
        page.keyboard.press("Tab")
        seen.append(str(page.evaluate(ACTIVE)))
    return expected, seen
