"""Standalone launch (Inferno STU2.2 group 1): the authorization code flow with PKCE through
the sign-in and consent pages, token exchange, OpenID Connect id_token with fhirUser, refresh.

https://hl7.org/fhir/smart-app-launch/app-launch.html
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.auth_browser import Browser, LaunchRequest, redirect_query
from tests.auth_fixtures import TEST_PASSWORD, token_endpoint

pytestmark = pytest.mark.integration

REDIRECT = "https://app.example.org/cb"
SCOPES = "launch/patient openid fhirUser offline_access patient/*.rs"
PublicClient = Callable[..., str]


def authorize_url(base: str) -> str:
    """The authorization endpoint beside a FHIR base."""
    return base.removesuffix("/fhir") + "/auth/authorize"


def sign_in_and_allow(
    browser: Browser, base: str, request: LaunchRequest, username: str
) -> dict[str, str]:
    """Open the authorization URL, sign in, allow everything; the redirect's query."""
    page = browser.open(authorize_url(base), request.params())
    assert page.status_code == 200, page.text
    consent = browser.submit(page, {"username": username, "password": TEST_PASSWORD})
    assert consent.status_code == 200, consent.text
    return redirect_query(browser.submit(consent, button=("decision", "allow")))


def exchange(base: str, request: LaunchRequest, code: str, **extra: str) -> httpx.Response:
    """The authorization_code token request of a public client."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": request.redirect_uri,
        "client_id": request.client_id,
        "code_verifier": request.verifier,
        **extra,
    }
    return httpx.post(token_endpoint(base), data=form)


def _refresh(base: str, client_id: str, token: str, scope: str | None = None) -> httpx.Response:
    form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": token}
    if scope:
        form["scope"] = scope
    return httpx.post(token_endpoint(base), data=form)


def test_standalone_launch_with_pkce_id_token_and_patient_context(
    browser: Browser,
    auth_base_url: str,
    public_client: PublicClient,
    patient_login: tuple[str, str],
) -> None:
    patient_id, username = patient_login
    request = LaunchRequest(public_client(SCOPES, REDIRECT), REDIRECT, SCOPES, auth_base_url)
    query = sign_in_and_allow(browser, auth_base_url, request, username)
    assert query["state"] == request.state
    response = exchange(auth_base_url, request, query["code"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["patient"] == patient_id
    assert body["need_patient_banner"] is True
    assert body["scope"] == SCOPES
    assert body["refresh_token"]
    jwks = httpx.get(auth_base_url.removesuffix("/fhir") + "/auth/jwks").json()
    id_token = jwt.decode(body["id_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
    assert id_token.claims["aud"] == request.client_id
    assert id_token.claims["iss"] == auth_base_url
    assert id_token.claims["nonce"] == request.nonce
    fhir_user = id_token.claims["fhirUser"]
    assert fhir_user == f"{auth_base_url}/Patient/{patient_id}"
    read = httpx.get(fhir_user, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert read.status_code == 200
    assert read.json()["name"][0]["family"] == "Rivera"


def test_refresh_with_and_without_scope_rotates_and_reuse_revokes_the_family(
    browser: Browser,
    auth_base_url: str,
    public_client: PublicClient,
    patient_login: tuple[str, str],
) -> None:
    request = LaunchRequest(public_client(SCOPES, REDIRECT), REDIRECT, SCOPES, auth_base_url)
    code = sign_in_and_allow(browser, auth_base_url, request, patient_login[1])["code"]
    first = exchange(auth_base_url, request, code).json()
    plain = _refresh(auth_base_url, request.client_id, first["refresh_token"])
    assert plain.status_code == 200, plain.text
    assert plain.json()["scope"] == SCOPES
    assert plain.json()["refresh_token"] != first["refresh_token"]
    narrower = _refresh(
        auth_base_url,
        request.client_id,
        plain.json()["refresh_token"],
        "patient/*.rs offline_access",
    )
    assert narrower.status_code == 200, narrower.text
    latest = narrower.json()
    assert latest["scope"] == "patient/*.rs offline_access"
    wider = _refresh(auth_base_url, request.client_id, latest["refresh_token"], "user/*.rs")
    assert wider.json()["error"] == "invalid_scope"
    reuse = _refresh(auth_base_url, request.client_id, first["refresh_token"])
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"
    after = _refresh(auth_base_url, request.client_id, latest["refresh_token"])
    assert after.status_code == 400
    bearer = {"Authorization": f"Bearer {latest['access_token']}"}
    patient_url = f"{auth_base_url}/Patient/{patient_login[0]}"
    assert httpx.get(patient_url, headers=bearer).status_code == 401


def test_a_replayed_code_fails_and_revokes_its_tokens(
    browser: Browser,
    auth_base_url: str,
    public_client: PublicClient,
    patient_login: tuple[str, str],
) -> None:
    request = LaunchRequest(public_client(SCOPES, REDIRECT), REDIRECT, SCOPES, auth_base_url)
    code = sign_in_and_allow(browser, auth_base_url, request, patient_login[1])["code"]
    issued = exchange(auth_base_url, request, code).json()
    bearer = {"Authorization": f"Bearer {issued['access_token']}"}
    patient_url = f"{auth_base_url}/Patient/{patient_login[0]}"
    assert httpx.get(patient_url, headers=bearer).status_code == 200
    replay = exchange(auth_base_url, request, code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert httpx.get(patient_url, headers=bearer).status_code == 401
    refresh = _refresh(auth_base_url, request.client_id, issued["refresh_token"])
    assert refresh.status_code == 400


def test_pkce_is_required_of_public_clients_and_checked(
    browser: Browser,
    auth_base_url: str,
    public_client: PublicClient,
    patient_login: tuple[str, str],
) -> None:
    request = LaunchRequest(public_client(SCOPES, REDIRECT), REDIRECT, SCOPES, auth_base_url)
    no_pkce = browser.open(authorize_url(auth_base_url), request.params(pkce_on=False))
    query = redirect_query(no_pkce)
    assert query["error"] == "invalid_request"
    assert query["state"] == request.state
    code = sign_in_and_allow(browser, auth_base_url, request, patient_login[1])["code"]
    wrong = exchange(auth_base_url, request, code, code_verifier="x" * 64)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"


def test_aud_and_redirect_uri_are_checked(
    browser: Browser, auth_base_url: str, public_client: PublicClient
) -> None:
    client_id = public_client(SCOPES, REDIRECT)
    wrong_aud = LaunchRequest(client_id, REDIRECT, SCOPES, "https://other.example.org/fhir")
    query = redirect_query(browser.open(authorize_url(auth_base_url), wrong_aud.params()))
    assert query["error"] == "invalid_request"
    assert "aud" in query["error_description"]
    prefix = LaunchRequest(client_id, REDIRECT + "/evil", SCOPES, auth_base_url)
    page = browser.open(authorize_url(auth_base_url), prefix.params())
    assert page.status_code == 400
    assert "location" not in page.headers
    assert "redirect_uri" in page.text


def test_authorize_post_and_consent_granting_fewer_scopes(
    browser: Browser,
    auth_base_url: str,
    public_client: PublicClient,
    patient_login: tuple[str, str],
) -> None:
    request = LaunchRequest(public_client(SCOPES, REDIRECT), REDIRECT, SCOPES, auth_base_url)
    page = browser.http.post(authorize_url(auth_base_url), data=request.params())
    assert page.status_code == 200
    consent = browser.submit(page, {"username": patient_login[1], "password": TEST_PASSWORD})
    assert "Read, search all records for the selected patient" in consent.text
    redirect = browser.submit(
        consent, untick=("offline_access", "openid", "fhirUser"), button=("decision", "allow")
    )
    body = exchange(auth_base_url, request, redirect_query(redirect)["code"]).json()
    assert body["scope"] == "launch/patient patient/*.rs"
    assert "refresh_token" not in body
    assert "id_token" not in body


def test_deny_redirects_access_denied(
    browser: Browser,
    auth_base_url: str,
    public_client: PublicClient,
    patient_login: tuple[str, str],
) -> None:
    request = LaunchRequest(public_client(SCOPES, REDIRECT), REDIRECT, SCOPES, auth_base_url)
    page = browser.open(authorize_url(auth_base_url), request.params())
    consent = browser.submit(page, {"username": patient_login[1], "password": TEST_PASSWORD})
    query = redirect_query(browser.submit(consent, button=("decision", "deny")))
    assert query["error"] == "access_denied"
    assert query["state"] == request.state


def test_online_access_gets_a_refresh_token(
    browser: Browser,
    auth_base_url: str,
    public_client: PublicClient,
    patient_login: tuple[str, str],
) -> None:
    scopes = "launch/patient online_access patient/*.rs"
    request = LaunchRequest(public_client(scopes, REDIRECT), REDIRECT, scopes, auth_base_url)
    code = sign_in_and_allow(browser, auth_base_url, request, patient_login[1])["code"]
    body = exchange(auth_base_url, request, code).json()
    refreshed = _refresh(auth_base_url, request.client_id, body["refresh_token"])
    assert refreshed.status_code == 200
    assert refreshed.json()["scope"] == scopes


def test_refresh_tokens_introspect_and_revoke_with_their_family(
    browser: Browser,
    auth_base_url: str,
    public_client: PublicClient,
    patient_login: tuple[str, str],
    mint_token: Callable[..., str],
) -> None:
    request = LaunchRequest(public_client(SCOPES, REDIRECT), REDIRECT, SCOPES, auth_base_url)
    code = sign_in_and_allow(browser, auth_base_url, request, patient_login[1])["code"]
    issued = exchange(auth_base_url, request, code).json()
    auth = auth_base_url.removesuffix("/fhir") + "/auth"
    caller = {"Authorization": f"Bearer {mint_token('system/*.rs')}"}
    active = httpx.post(
        f"{auth}/introspect", data={"token": issued["refresh_token"]}, headers=caller
    )
    assert active.json()["active"] is True
    assert active.json()["client_id"] == request.client_id
    revoked = httpx.post(
        f"{auth}/revoke",
        data={"token": issued["refresh_token"], "client_id": request.client_id},
    )
    assert revoked.status_code == 200
    after = httpx.post(
        f"{auth}/introspect", data={"token": issued["refresh_token"]}, headers=caller
    )
    assert after.json() == {"active": False}
    bearer = {"Authorization": f"Bearer {issued['access_token']}"}
    patient_url = f"{auth_base_url}/Patient/{patient_login[0]}"
    assert httpx.get(patient_url, headers=bearer).status_code == 401
