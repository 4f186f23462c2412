"""The SMART project's Python client ``fhirclient`` completes a standalone launch against
this server: it reads the CapabilityStatement's oauth-uris, builds the authorization URL (with
PKCE), the test signs in and allows in Chromium, the client exchanges the code from the
redirect and reads the patient with its own models.

https://github.com/smart-on-fhir/client-py
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fhirclient import client
from fhirclient.models.patient import Patient
from playwright.sync_api import Page

from tests.auth_browser import Browser
from tests.auth_fixtures import TEST_PASSWORD
from tests.browser.app_callback import AppCallback
from tests.browser.auth_pages import allow, heading, sign_in

pytestmark = pytest.mark.integration

SCOPES = "openid fhirUser patient/*.rs"
"""fhirclient adds ``launch/patient`` itself for a standalone launch."""


def _client(base: str, app_id: str, redirect_uri: str) -> Any:
    settings = {"app_id": app_id, "api_base": base, "redirect_uri": redirect_uri, "scope": SCOPES}
    return client.FHIRClient(settings=settings, save_func=lambda state: None)


def test_fhirclient_standalone_launch_reads_the_patient(
    page: Page,
    app_callback: AppCallback,
    auth_base_url: str,
    register_app: Callable[[str], str],
    patient_account: tuple[str, str],
) -> None:
    patient_id, username = patient_account
    smart = _client(
        auth_base_url, register_app(f"launch/patient {SCOPES}"), app_callback.redirect_uri
    )
    url = smart.authorize_url
    assert "code_challenge_method=S256" in url
    page.goto(url)
    assert heading(page) == "Sign in"
    sign_in(page, username, TEST_PASSWORD)
    allow(page)
    smart.handle_callback(app_callback.urls[-1])
    assert smart.ready
    assert smart.patient_id == patient_id
    patient = Patient.read(patient_id, smart.server)
    assert patient.name[0].family == "Rivera"
    assert smart.patient.id == patient_id


def test_fhirclient_standalone_launch_with_the_forms_posted_by_httpx(
    app_callback: AppCallback,
    auth_base_url: str,
    register_app: Callable[[str], str],
    patient_account: tuple[str, str],
) -> None:
    """The same launch with the pages driven as a browser without JavaScript would (runs
    where Chromium is not installed)."""
    patient_id, username = patient_account
    redirect_uri = app_callback.redirect_uri
    smart = _client(auth_base_url, register_app(f"launch/patient {SCOPES}"), redirect_uri)
    with httpx.Client(timeout=30) as http:
        browser = Browser(http)
        signed_in = browser.submit(
            http.get(smart.authorize_url), {"username": username, "password": TEST_PASSWORD}
        )
        redirect = browser.submit(signed_in, button=("decision", "allow"))
    assert redirect.status_code == 303
    smart.handle_callback(redirect.headers["location"])
    assert smart.patient_id == patient_id
    assert Patient.read(patient_id, smart.server).name[0].family == "Rivera"
