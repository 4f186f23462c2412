"""The CapabilityStatement declares SMART on FHIR security with the oauth-uris extension.

https://hl7.org/fhir/smart-app-launch/conformance.html#declaring-support-for-oauth2-endpoints
"""

from __future__ import annotations

from conformance.capability_statement import OAUTH_URIS, capability_statement
from resources.model import validation_issues

URIS = {
    "authorize": "https://fhir.example.org/auth/authorize",
    "token": "https://fhir.example.org/auth/token",
}


def test_security_names_smart_and_the_endpoints() -> None:
    statement = capability_statement("https://fhir.example.org/fhir", "2024-01-01T00:00:00Z", URIS)
    security = statement["rest"][0]["security"]
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    (extension,) = security["extension"]
    assert extension["url"] == OAUTH_URIS
    assert {e["url"]: e["valueUri"] for e in extension["extension"]} == URIS
    assert validation_issues(statement) == []


def test_no_security_without_uris() -> None:
    statement = capability_statement("https://fhir.example.org/fhir", "2024-01-01T00:00:00Z")
    assert "security" not in statement["rest"][0]
