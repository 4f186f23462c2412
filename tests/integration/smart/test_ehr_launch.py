"""EHR launch (Inferno STU2.2 group 2): the portal mints a launch bound to a patient and an
encounter; the app's authorization request carries it; the token response carries the context.

https://hl7.org/fhir/smart-app-launch/app-launch.html#launch-app-ehr-launch
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from fhir_server.embedded import ServiceUrls
from tests.auth_browser import Browser, LaunchRequest, redirect_query
from tests.auth_fixtures import SMART_STYLE_URL, TEST_PASSWORD, TokenMinter, create_account
from tests.integration.smart.conftest import create_patient
from tests.integration.smart.test_standalone_launch import (
    authorize_url,
    exchange,
    sign_in_and_allow,
)

pytestmark = pytest.mark.integration

REDIRECT = "https://ehr-app.example.org/launched"
SCOPES = "launch openid fhirUser patient/*.rs user/*.rs"


def _launch_url(base: str) -> str:
    return base.removesuffix("/fhir") + "/auth/launch"


def _encounter(base: str, mint_token: TokenMinter, patient_id: str) -> str:
    headers = {"Authorization": f"Bearer {mint_token('system/*.cruds')}"}
    body = {
        "resourceType": "Encounter",
        "status": "in-progress",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "AMB",
        },
        "subject": {"reference": f"Patient/{patient_id}"},
    }
    created = httpx.post(f"{base}/Encounter", json=body, headers=headers)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _mint_launch(base: str, mint_token: TokenMinter, **context: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {mint_token('system/*.rs')}"}
    return httpx.post(_launch_url(base), data=context, headers=headers)


@pytest.fixture
def practitioner(services: ServiceUrls) -> str:
    """A practitioner user's name."""
    return create_account(services.database_url, "practitioner", "Practitioner/dr-1")


def test_ehr_launch_carries_patient_encounter_banner_and_style(
    browser: Browser,
    auth_base_url: str,
    mint_token: TokenMinter,
    public_client: Callable[..., str],
    practitioner: str,
) -> None:
    patient_id = create_patient(auth_base_url, mint_token, "Okafor")
    encounter_id = _encounter(auth_base_url, mint_token, patient_id)
    minted = _mint_launch(auth_base_url, mint_token, patient=patient_id, encounter=encounter_id)
    assert minted.status_code == 200, minted.text
    assert minted.json()["iss"] == auth_base_url
    client_id = public_client(SCOPES, REDIRECT)
    request = LaunchRequest(client_id, REDIRECT, SCOPES, auth_base_url, minted.json()["launch"])
    query = sign_in_and_allow(browser, auth_base_url, request, practitioner)
    body = exchange(auth_base_url, request, query["code"]).json()
    assert body["patient"] == patient_id
    assert body["encounter"] == encounter_id
    assert body["need_patient_banner"] is False
    assert body["smart_style_url"] == SMART_STYLE_URL
    assert "id_token" in body
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    read = httpx.get(f"{auth_base_url}/Encounter/{encounter_id}", headers=bearer)
    assert read.status_code == 200


def test_an_unknown_launch_is_refused(
    browser: Browser, auth_base_url: str, public_client: Callable[..., str]
) -> None:
    client_id = public_client(SCOPES, REDIRECT)
    request = LaunchRequest(client_id, REDIRECT, SCOPES, auth_base_url, "no-such-launch")
    query = redirect_query(browser.open(authorize_url(auth_base_url), request.params()))
    assert query["error"] == "invalid_request"
    assert query["state"] == request.state


def test_scope_launch_without_a_launch_value_is_refused(
    browser: Browser, auth_base_url: str, public_client: Callable[..., str]
) -> None:
    request = LaunchRequest(public_client(SCOPES, REDIRECT), REDIRECT, SCOPES, auth_base_url)
    query = redirect_query(browser.open(authorize_url(auth_base_url), request.params()))
    assert query["error"] == "invalid_request"


def test_minting_a_launch_needs_a_backend_token_and_a_real_patient(
    auth_base_url: str, mint_token: TokenMinter
) -> None:
    anonymous = httpx.post(_launch_url(auth_base_url), data={"patient": "x"})
    assert anonymous.status_code == 401
    as_user = httpx.post(
        _launch_url(auth_base_url),
        data={"patient": "x"},
        headers={"Authorization": f"Bearer {mint_token('user/*.rs', subject='u1')}"},
    )
    assert as_user.status_code == 403
    missing = _mint_launch(auth_base_url, mint_token, patient="no-such-patient")
    assert missing.status_code == 400
    assert missing.json()["resourceType"] == "OperationOutcome"
    patient_id = create_patient(auth_base_url, mint_token)
    system = {"Authorization": f"Bearer {mint_token('system/*.rs')}"}
    no_encounter = httpx.post(
        _launch_url(auth_base_url),
        json={"patient": patient_id, "encounter": "no-such-encounter"},
        headers=system,
    )
    assert no_encounter.status_code == 400
    as_json = httpx.post(_launch_url(auth_base_url), json={"patient": patient_id}, headers=system)
    assert as_json.status_code == 200
    assert as_json.json()["launch"]


def test_standalone_launch_by_a_practitioner_picks_the_patient(
    browser: Browser,
    auth_base_url: str,
    mint_token: TokenMinter,
    secret_client: Callable[..., tuple[str, str]],
    practitioner: str,
) -> None:
    patient_id = create_patient(auth_base_url, mint_token, "Picked")
    scopes = "launch/patient openid fhirUser patient/*.rs"
    client_id, secret = secret_client(scopes, (REDIRECT,))
    request = LaunchRequest(client_id, REDIRECT, scopes, auth_base_url)
    page = browser.open(authorize_url(auth_base_url), request.params(pkce_on=False))
    picker = browser.submit(page, {"username": practitioner, "password": TEST_PASSWORD})
    assert "Choose a patient" in picker.text
    assert patient_id in picker.text
    consent = browser.submit(picker, {"patient": patient_id})
    code = redirect_query(browser.submit(consent, button=("decision", "allow")))["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    token_url = auth_base_url.removesuffix("/fhir") + "/auth/token"
    anonymous = httpx.post(token_url, data={**form, "client_id": client_id})
    assert anonymous.status_code == 401
    body = httpx.post(token_url, data=form, auth=(client_id, secret)).json()
    assert body["patient"] == patient_id
    assert body["need_patient_banner"] is True
