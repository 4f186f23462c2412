"""Headless Chromium on the authorization pages: Debian's ``chromium`` driven by Playwright's
Python API (``executable_path``; Playwright's own browser download is never used)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from fhir_server.embedded import ServiceUrls
from tests.auth_fixtures import TokenMinter, create_account
from tests.browser.app_callback import AppCallback, running_app
from tests.integration.smart.conftest import create_patient

CHROMIUM = Path("/usr/bin/chromium")
P = ParamSpec("P")
T = TypeVar("T")


def off_loop(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call ``function`` in a worker thread: Playwright's sync API keeps an event loop running
    in the test's thread, so helpers that call ``asyncio.run`` must run elsewhere."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


@pytest.fixture(scope="module")
def chromium(auth_base_url: str) -> Iterator[Browser]:
    """Debian's Chromium, headless; the tests skip when it is not installed. Started after the
    auth-on server, and per module: while Playwright runs, the test thread has a running event
    loop, which must be gone again for the other packages' tests (they call ``asyncio.run``)."""
    with launched_chromium() as browser:
        yield browser


@contextmanager
def launched_chromium() -> Iterator[Browser]:
    """Debian's Chromium started headless by Playwright; skips the test when not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium is not installed ({CHROMIUM}): apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


def open_context(chromium: Browser, javascript: bool = True) -> BrowserContext:
    """A fresh browser profile (no cookies, nothing cached)."""
    return chromium.new_context(java_script_enabled=javascript)


@pytest.fixture
def app_callback() -> Iterator[AppCallback]:
    """The application's redirect URI, served on loopback, and what the browser brought it."""
    with running_app() as callback:
        yield callback


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A tab in a fresh profile with JavaScript on."""
    context = open_context(chromium)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def patient_account(
    services: ServiceUrls, auth_base_url: str, mint_token: TokenMinter
) -> tuple[str, str]:
    """A Patient and a patient user linked to it, without MFA: (patient id, user name)."""
    patient_id = create_patient(auth_base_url, mint_token)
    account = off_loop(create_account, services.database_url, "patient", f"Patient/{patient_id}")
    return patient_id, account


@pytest.fixture
def register_app(
    public_client: Callable[..., str], app_callback: AppCallback
) -> Callable[[str], str]:
    """``register_app(scopes)``: a public client redirecting to the application; its id."""
    return lambda scopes: off_loop(public_client, scopes, app_callback.redirect_uri)
