"""Checking authorization requests: what is shown to the user, what goes back to the app."""

from __future__ import annotations

import pytest

from smart_auth import pkce
from smart_auth.authorize import RedirectError, RegisteredClient, UserFacingError, check_request

BASE = "https://fhir.example.org/fhir"
REDIRECT = "https://app.example.org/cb"
CLIENT = RegisteredClient("app", True, (REDIRECT,), ("launch", "patient/*.rs", "system/*.rs"))


def _params(**changes: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": REDIRECT,
        "scope": "patient/*.rs",
        "state": "s1",
        "aud": BASE,
        "code_challenge": pkce.s256("v" * 50),
        "code_challenge_method": "S256",
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v != ""}


def test_a_good_request() -> None:
    checked = check_request(_params(), CLIENT, BASE)
    assert checked.scopes == ("patient/*.rs",)
    assert checked.state == "s1"
    assert checked.code_challenge == pkce.s256("v" * 50)


@pytest.mark.parametrize("redirect_uri", ["", REDIRECT + "x", "https://app.example.org/"])
def test_redirect_uri_must_match_exactly_and_is_never_redirected_to(redirect_uri: str) -> None:
    with pytest.raises(UserFacingError):
        check_request(_params(redirect_uri=redirect_uri), CLIENT, BASE)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"aud": "https://other.example.org/fhir"}, "invalid_request"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"scope": "user/*.rs"}, "invalid_scope"),
        ({"scope": "system/*.rs"}, "invalid_scope"),
        ({"scope": "launch patient/*.rs"}, "invalid_request"),
    ],
)
def test_errors_go_back_to_the_app_with_state(changes: dict[str, str], error: str) -> None:
    with pytest.raises(RedirectError) as raised:
        check_request(_params(**changes), CLIENT, BASE)
    assert raised.value.error == error
    assert raised.value.state == "s1"
    assert raised.value.redirect_uri == REDIRECT


def test_a_confidential_client_may_skip_pkce() -> None:
    confidential = RegisteredClient("app", False, (REDIRECT,), ("patient/*.rs",))
    assert check_request(_params(code_challenge=""), confidential, BASE).code_challenge is None


def test_aud_with_a_trailing_slash_is_the_same_base() -> None:
    assert check_request(_params(aud=BASE + "/"), CLIENT, BASE).client_id == "app"
