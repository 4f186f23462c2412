"""String and token extraction, on hand-written resources with hand-computed values."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from resources.search.strings import normalise
from resources.search.values import StringValue, TokenValue
from tests.unit.search.helpers import values_of

PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "id": "p1",
    "active": True,
    "gender": "female",
    "name": [
        {
            "use": "official",
            "family": "Ørsted-Müller",
            "given": ["Zoë", "Ann"],
            "prefix": ["Dr."],
            "suffix": ["PhD"],
            "text": "Dr. Zoë Ann Ørsted-Müller",
        }
    ],
    "address": [
        {
            "use": "home",
            "line": ["1 Rue de l'Église", "Bât. B"],
            "city": "Besançon",
            "district": "Doubs",
            "state": "BFC",
            "postalCode": "25000",
            "country": "FR",
        }
    ],
    "telecom": [
        {"system": "phone", "value": "+33 1 23", "use": "home"},
        {"system": "email", "value": "zoe@example.org"},
    ],
    "identifier": [
        {
            "system": "urn:oid:1.2.3",
            "value": "MRN-7",
            "type": {
                "text": "Medical record number",
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                ],
            },
        },
        {"value": "no-system"},
    ],
    "maritalStatus": {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
                "code": "M",
                "display": "Married",
            }
        ],
        "text": "married",
    },
}


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("Zoë", "zoe"),
        ("ØRSTED", "ørsted"),  # Ø is a letter of its own, not O with a mark
        ("Besançon", "besancon"),
        ("ÉGLISE", "eglise"),
        ("ﬁne", "fine"),  # NFKD splits the ligature
        ("plain", "plain"),
    ],
)
def test_normalise(text: str, normalised: str) -> None:
    assert normalise(text) == normalised


def test_name_gives_every_part() -> None:
    expected = [
        ("ørsted-muller", "Ørsted-Müller"),
        ("zoe", "Zoë"),
        ("ann", "Ann"),
        ("dr.", "Dr."),
        ("phd", "PhD"),
        ("dr. zoe ann ørsted-muller", "Dr. Zoë Ann Ørsted-Müller"),
    ]
    assert values_of(PATIENT, "name") == [StringValue(n, e) for n, e in expected]


def test_family_and_given() -> None:
    assert values_of(PATIENT, "family") == [StringValue("ørsted-muller", "Ørsted-Müller")]
    assert values_of(PATIENT, "given") == [StringValue("zoe", "Zoë"), StringValue("ann", "Ann")]


def test_address_gives_every_part() -> None:
    expected = [
        ("1 rue de l'eglise", "1 Rue de l'Église"),
        ("bat. b", "Bât. B"),
        ("besancon", "Besançon"),
        ("doubs", "Doubs"),
        ("bfc", "BFC"),
        ("25000", "25000"),
        ("fr", "FR"),
    ]
    assert values_of(PATIENT, "address") == [StringValue(n, e) for n, e in expected]
    assert values_of(PATIENT, "address-city") == [StringValue("besancon", "Besançon")]


def test_code_and_boolean_tokens() -> None:
    assert values_of(PATIENT, "gender") == [TokenValue(None, "female")]
    assert values_of(PATIENT, "active") == [TokenValue(None, "true")]
    assert values_of(PATIENT, "_id") == [TokenValue(None, "p1")]


def test_computed_boolean_token() -> None:
    assert values_of(PATIENT, "deceased") == [TokenValue(None, "false")]
    deceased = {**PATIENT, "deceasedDateTime": "2020-01-01"}
    assert values_of(deceased, "deceased") == [TokenValue(None, "true")]


def test_identifier_tokens_carry_type_for_of_type() -> None:
    v2 = "http://terminology.hl7.org/CodeSystem/v2-0203"
    assert values_of(PATIENT, "identifier") == [
        TokenValue("urn:oid:1.2.3", "MRN-7", "Medical record number", v2, "MR"),
        TokenValue(None, "no-system"),
    ]


def test_contact_point_tokens() -> None:
    assert values_of(PATIENT, "telecom") == [
        TokenValue("phone", "+33 1 23"),
        TokenValue("email", "zoe@example.org"),
    ]
    assert values_of(PATIENT, "email") == [TokenValue("email", "zoe@example.org")]
    assert values_of(PATIENT, "phone") == [TokenValue("phone", "+33 1 23")]


def test_codeable_concept_gives_codings_and_text() -> None:
    condition = {
        "resourceType": "Condition",
        "code": {
            "coding": [
                {"system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes"},
                {"system": "http://hl7.org/fhir/sid/icd-10", "code": "E11"},
            ],
            "text": "Type 2 diabetes",
        },
    }
    assert values_of(condition, "code") == [
        TokenValue("http://snomed.info/sct", "44054006", "Diabetes"),
        TokenValue("http://hl7.org/fhir/sid/icd-10", "E11"),
        TokenValue(None, None, "Type 2 diabetes"),
    ]


def test_coding_tokens() -> None:
    tag = {"system": "http://example.org/tags", "code": "vip", "display": "Very important"}
    patient = {"resourceType": "Patient", "meta": {"tag": [tag], "security": [{"code": "R"}]}}
    assert values_of(patient, "_tag") == [
        TokenValue("http://example.org/tags", "vip", "Very important")
    ]
    assert values_of(patient, "_security") == [TokenValue(None, "R")]


def test_string_token_of_choice_type_value() -> None:
    observation = {
        "resourceType": "Observation",
        "code": {"text": "eye colour"},
        "valueString": "Blue-grey",
    }
    assert values_of(observation, "value-string") == [StringValue("blue-grey", "Blue-grey")]
    assert values_of(observation, "value-concept") == []


def test_empty_and_missing_elements_give_nothing() -> None:
    patient = {"resourceType": "Patient", "name": [{"given": [""]}], "telecom": [{"use": "home"}]}
    assert values_of(patient, "name") == []
    assert values_of(patient, "telecom") == []
    assert values_of(patient, "gender") == []


def test_normalise_of_ascii_is_the_full_normalisation() -> None:
    """ASCII text takes a shortcut (lowercase only); it must give what NFKD and dropping
    combining marks give."""
    text = "".join(chr(c) for c in range(128))
    decomposed = unicodedata.normalize("NFKD", text)
    full = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    assert normalise(text) == full
    assert normalise("Ärger É") == "arger e"  # not ASCII: the full path
