"""Self-registration rules and the FHIR resources they produce."""

from __future__ import annotations

from dataclasses import replace

from resources.model import validation_issues
from smart_auth.registration import (
    HEALTH_DATA,
    PRIVACY,
    Registration,
    consent_resource,
    patient_resource,
    registration_problems,
)

GOOD = Registration(
    "Mina",
    "Haddad",
    "Mina@Example.org",
    "Fresh-Start-2026!",
    "Fresh-Start-2026!",
    frozenset({HEALTH_DATA, PRIVACY}),
    False,
)


def test_a_complete_form_has_no_problems() -> None:
    assert registration_problems(GOOD) == []


def test_each_missing_part_is_named() -> None:
    assert registration_problems(replace(GOOD, consents=frozenset({HEALTH_DATA}))) == [
        "Both consents are needed to create an account."
    ]
    assert registration_problems(replace(GOOD, email="mina@")) == ["Enter a valid e-mail address."]
    assert registration_problems(replace(GOOD, confirm="other")) == ["The two passwords differ."]
    weak = registration_problems(replace(GOOD, password="short", confirm="short"))
    assert weak
    assert weak[0].startswith("The password needs")
    assert registration_problems(replace(GOOD, family=" ")) == ["Enter your given and family name."]


def test_the_patient_and_consents_are_valid_fhir() -> None:
    patient = patient_resource(GOOD)
    assert patient["telecom"][0]["value"] == "mina@example.org"
    assert validation_issues(patient) == []
    for kind in (HEALTH_DATA, PRIVACY):
        consent = consent_resource(kind, "p1", "2026-11-26T08:00:00+00:00", "https://x.org/p")
        assert validation_issues(consent) == []
        assert consent["patient"] == {"reference": "Patient/p1"}
        assert consent["category"][0]["text"] == kind
