"""Reference and uri extraction: relative, versioned, absolute, contained, identifier, canonical."""

from __future__ import annotations

from typing import Any

from resources.search.values import ReferenceValue, UriValue
from tests.unit.search.helpers import values_of

OBSERVATION: dict[str, Any] = {
    "resourceType": "Observation",
    "contained": [{"resourceType": "Practitioner", "id": "pr1"}],
    "subject": {"reference": "Patient/123"},
    "performer": [
        {"reference": "Practitioner/9/_history/2"},
        {"reference": "https://other.example.org/fhir/Organization/o-1"},
        {"reference": "#pr1"},
        {"type": "Practitioner", "identifier": {"system": "urn:npi", "value": "555"}},
        {"reference": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"},
        {"display": "a name only"},
    ],
    "basedOn": [{"reference": "ServiceRequest/sr", "identifier": {"value": "order-1"}}],
}


def test_relative_reference() -> None:
    assert values_of(OBSERVATION, "subject") == [ReferenceValue("Patient", "123")]


def test_every_form_of_reference() -> None:
    assert values_of(OBSERVATION, "performer") == [
        ReferenceValue("Practitioner", "9", "2"),
        ReferenceValue(
            "Organization", "o-1", None, "https://other.example.org/fhir/Organization/o-1"
        ),
        ReferenceValue("Practitioner", None, None, "#pr1"),
        ReferenceValue("Practitioner", None, None, None, "urn:npi", "555"),
        ReferenceValue(None, None, None, "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"),
    ]


def test_reference_with_identifier_keeps_both() -> None:
    assert values_of(OBSERVATION, "based-on") == [
        ReferenceValue("ServiceRequest", "sr", None, None, None, "order-1")
    ]


def test_patient_parameter_keeps_only_patient_subjects() -> None:
    assert values_of(OBSERVATION, "patient") == [ReferenceValue("Patient", "123")]
    of_group = {**OBSERVATION, "subject": {"reference": "Group/g1"}}
    assert values_of(of_group, "patient") == []
    assert values_of(of_group, "subject") == [ReferenceValue("Group", "g1")]


def test_choice_reference_uses_only_the_reference_type() -> None:
    by_code = {"resourceType": "MedicationRequest", "medicationCodeableConcept": {"text": "x"}}
    assert values_of(by_code, "medication") == []
    by_ref = {"resourceType": "MedicationRequest", "medicationReference": {"reference": "#m"}}
    assert values_of(by_ref, "medication") == [ReferenceValue(None, None, None, "#m")]


def test_canonical_reference_splits_the_version() -> None:
    response = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "http://example.org/Questionnaire/q|3.1",
    }
    expected = ReferenceValue(None, None, "3.1", "http://example.org/Questionnaire/q")
    assert values_of(response, "questionnaire") == [expected]


def test_uri_values() -> None:
    value_set = {"resourceType": "ValueSet", "url": "http://example.org/vs/colours"}
    assert values_of(value_set, "url") == [UriValue("http://example.org/vs/colours")]
    profiled = {"resourceType": "Patient", "meta": {"profile": ["http://example.org/sd/p"]}}
    assert values_of(profiled, "_profile") == [UriValue("http://example.org/sd/p")]


def test_bundle_composition_is_a_reference_to_the_first_entry() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "document",
        "entry": [{"resource": {"resourceType": "Composition", "id": "c1"}}],
    }
    assert values_of(bundle, "composition") == [ReferenceValue("Composition", "c1")]


def test_nutrition_intake_reported_reference() -> None:
    intake = {
        "resourceType": "NutritionIntake",
        "subject": {"reference": "Patient/p"},
        "reportedReference": {"reference": "RelatedPerson/r"},
    }
    assert values_of(intake, "source") == [ReferenceValue("RelatedPerson", "r")]
    assert values_of(intake, "patient") == [ReferenceValue("Patient", "p")]
    assert values_of({**intake, "reportedBoolean": True, "reportedReference": None}, "source") == []
