"""Auth is on unless turned off; the token lifetime defaults to 15 minutes."""

from __future__ import annotations

from fhir_server.settings import Settings


def test_auth_is_on_by_default() -> None:
    assert Settings().auth_required is True
    assert Settings().access_token_lifetime_s == 900
