"""Fixtures of the authorization tests: a browser, a patient with a user account."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from fhir_server.embedded import ServiceUrls
from tests.auth_browser import Browser
from tests.auth_fixtures import TokenMinter, create_account


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A user agent on the authorization pages (redirects not followed)."""
    with httpx.Client(timeout=30) as http:
        yield Browser(http)


def create_patient(base: str, mint_token: TokenMinter, family: str = "Rivera") -> str:
    """Store a Patient through the auth-on server; its id."""
    headers = {"Authorization": f"Bearer {mint_token('system/*.cruds')}"}
    body = {"resourceType": "Patient", "name": [{"family": family, "given": ["Ana"]}]}
    created = httpx.post(f"{base}/Patient", json=body, headers=headers)
    assert created.status_code == 201
    return str(created.json()["id"])


@pytest.fixture
def patient_login(
    services: ServiceUrls, auth_base_url: str, mint_token: TokenMinter
) -> tuple[str, str]:
    """A Patient and a patient user linked to it: (patient id, user name)."""
    patient_id = create_patient(auth_base_url, mint_token)
    return patient_id, create_account(services.database_url, "patient", f"Patient/{patient_id}")
