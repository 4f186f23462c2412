"""Patient self-registration: what the form must hold, and the FHIR resources it creates (a
``Patient`` the account's fhirUser points at, and one ``Consent`` per consent given).

https://hl7.org/fhir/R4/consent.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from smart_auth.credentials import password_problems

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CONSENT_CATEGORY = {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}
SCOPE_PRIVACY = {
    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
    "code": "patient-privacy",
    "display": "Privacy Consent",
}
OPT_IN = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}
HEALTH_DATA = "health-data"
PRIVACY = "privacy"
CONSENT_TEXT = {
    HEALTH_DATA: "I agree that Nutri-Vision stores and uses my health data (meals, "
    "medications, allergies) to check my food for risks.",
    PRIVACY: "I have read the privacy notice and agree to it.",
}


@dataclass(frozen=True)
class Registration:
    """What a person typed on the registration form."""

    given: str
    family: str
    email: str
    password: str
    confirm: str
    consents: frozenset[str]
    wants_mfa: bool


def registration_problems(form: Registration) -> list[str]:
    """Why the form cannot create an account (empty when it can)."""
    problems = []
    if not form.given.strip() or not form.family.strip():
        problems.append("Enter your given and family name.")
    if not EMAIL.match(form.email.strip()):
        problems.append("Enter a valid e-mail address.")
    weak = password_problems(form.password)
    if weak:
        problems.append("The password needs " + "; ".join(weak) + ".")
    elif form.password != form.confirm:
        problems.append("The two passwords differ.")
    if not {HEALTH_DATA, PRIVACY} <= form.consents:
        problems.append("Both consents are needed to create an account.")
    return problems


def patient_resource(form: Registration) -> dict[str, Any]:
    """The new Patient: name and e-mail address (where password reset links go)."""
    return {
        "resourceType": "Patient",
        "active": True,
        "name": [{"use": "official", "family": form.family.strip(), "given": [form.given.strip()]}],
        "telecom": [{"system": "email", "value": form.email.strip().lower(), "use": "home"}],
    }


def consent_resource(kind: str, patient_id: str, when: str, policy_url: str) -> dict[str, Any]:
    """An active, opt-in Consent of the patient to ``kind`` (health data or privacy)."""
    reference = {"reference": f"Patient/{patient_id}"}
    return {
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [SCOPE_PRIVACY]},
        "category": [{"coding": [CONSENT_CATEGORY], "text": kind}],
        "patient": reference,
        "dateTime": when,
        "performer": [reference],
        "policy": [{"uri": f"{policy_url}#{kind}"}],
        "policyRule": {"coding": [OPT_IN], "text": CONSENT_TEXT[kind]},
        "provision": {"type": "permit", "period": {"start": when}},
    }
