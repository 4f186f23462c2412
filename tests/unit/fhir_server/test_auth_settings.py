"""Auth is on unless turned off; the token lifetime defaults to 15 minutes; URLs are absolute."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fhir_server.settings import Settings


def test_auth_is_on_by_default() -> None:
    assert Settings().auth_required is True
    assert Settings().access_token_lifetime_s == 900


def test_issuer_must_be_an_absolute_url() -> None:
    with pytest.raises(ValidationError):
        Settings(auth_issuer="fhir.example.org/fhir")
    assert Settings(auth_issuer="https://fhir.example.org/fhir").auth_issuer
