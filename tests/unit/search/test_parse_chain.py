"""Chaining and reverse chaining (https://hl7.org/fhir/R4/search.html#chaining, #has)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from resources.error_codes import BAD_PARAMETER, SEARCH_NOT_SUPPORTED, UNKNOWN_PARAMETER
from resources.errors import Invalid
from resources.search.param_def import SearchParamDef
from resources.search.parse import parse_search
from resources.search.query import (
    AllOf,
    AnyOf,
    Chain,
    DateMatch,
    Expr,
    Has,
    IdMatch,
    Missing,
    ReferenceMatch,
    StringMatch,
    TokenMatch,
)
from resources.search.registry import default_registry

REGISTRY = default_registry()


def utc(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def param(resource_type: str, code: str) -> SearchParamDef:
    found = REGISTRY.get(resource_type, code)
    assert found is not None, (resource_type, code)
    return found


def only(resource_type: str, name: str, value: str) -> Expr:
    query = parse_search((resource_type,), [(name, value)], REGISTRY, strict=True)
    assert len(query.where.items) == 1, query.where
    return query.where.items[0]


def invalid(resource_type: str, name: str, value: str, *, strict: bool = False) -> Invalid:
    with pytest.raises(Invalid) as caught:
        parse_search((resource_type,), [(name, value)], REGISTRY, strict=strict)
    return caught.value


OBS_SUBJECT = param("Observation", "subject")
OBS_PATIENT = param("Observation", "patient")  # targets Group and Patient
PATIENT_NAME = param("Patient", "name")
PATIENT_ORGANIZATION = param("Patient", "organization")
ORGANIZATION_NAME = param("Organization", "name")


def test_chain_with_type_modifier() -> None:
    expected = Chain(OBS_SUBJECT, "Patient", StringMatch(PATIENT_NAME, "peter"))
    assert only("Observation", "subject:Patient.name", "peter") == expected


def test_chain_through_a_single_target_needs_no_type() -> None:
    encounter = param("Observation", "encounter")  # Encounter, EpisodeOfCare: not single
    assert encounter.target == ("Encounter", "EpisodeOfCare")
    expected = Chain(PATIENT_ORGANIZATION, "Organization", StringMatch(ORGANIZATION_NAME, "acme"))
    assert only("Patient", "organization.name", "Acme") == expected


def test_chain_over_every_target_that_defines_the_parameter() -> None:
    expected = AnyOf(
        (
            Chain(OBS_PATIENT, "Group", TokenMatch(param("Group", "identifier"), None, "x")),
            Chain(OBS_PATIENT, "Patient", TokenMatch(param("Patient", "identifier"), None, "x")),
        )
    )
    assert only("Observation", "patient.identifier", "x") == expected


def test_untyped_chain_goes_through_the_targets_that_define_the_parameter() -> None:
    # Group has no 'name' parameter: as in the spec's DiagnosticReport?subject.name=peter,
    # the chain means the targets where it is defined (here only Patient)
    expected = Chain(OBS_PATIENT, "Patient", StringMatch(PATIENT_NAME, "peter"))
    assert only("Observation", "patient.name", "peter") == expected


def test_chain_to_a_parameter_no_target_defines_is_invalid() -> None:
    error = invalid("Observation", "patient.device-name", "x")
    assert error.nv_code == BAD_PARAMETER
    assert "none of which has the parameter 'device-name'" in error.message


def test_chain_of_any_depth() -> None:
    expected = Chain(
        OBS_SUBJECT,
        "Patient",
        Chain(PATIENT_ORGANIZATION, "Organization", StringMatch(ORGANIZATION_NAME, "x")),
    )
    assert only("Observation", "subject:Patient.organization.name", "x") == expected


def test_three_links() -> None:
    general = param("Patient", "general-practitioner")
    role_org = param("PractitionerRole", "organization")
    expected = Chain(
        OBS_SUBJECT,
        "Patient",
        Chain(
            general,
            "PractitionerRole",
            Chain(role_org, "Organization", StringMatch(ORGANIZATION_NAME, "x")),
        ),
    )
    name = "subject:Patient.general-practitioner:PractitionerRole.organization.name"
    assert only("Observation", name, "x") == expected


def test_chain_values_keep_or_and_modifiers() -> None:
    assert only("Observation", "subject:Patient.name", "a,b") == Chain(
        OBS_SUBJECT,
        "Patient",
        AnyOf((StringMatch(PATIENT_NAME, "a"), StringMatch(PATIENT_NAME, "b"))),
    )
    assert only("Observation", "subject:Patient.name:exact", "Ève") == Chain(
        OBS_SUBJECT, "Patient", StringMatch(PATIENT_NAME, "Ève", "exact")
    )
    assert only("Observation", "subject:Patient.name:missing", "true") == Chain(
        OBS_SUBJECT, "Patient", Missing(PATIENT_NAME, True)
    )
    assert only("Observation", "subject:Patient.birthdate", "ge2000") == Chain(
        OBS_SUBJECT,
        "Patient",
        DateMatch(param("Patient", "birthdate"), "ge", utc(2000, 1, 1), utc(2001, 1, 1)),
    )
    assert only("Observation", "subject:Patient._id", "p1,p2") == Chain(
        OBS_SUBJECT, "Patient", IdMatch(("p1", "p2"))
    )


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("code.name", BAD_PARAMETER),  # code is a token: it cannot chain
        ("subject:Medication.code", BAD_PARAMETER),  # Medication is not a subject target
        ("subject:Nothing.name", BAD_PARAMETER),
        ("subject:Patient.name", None),
    ],
)
def test_malformed_chains(name: str, code: str | None) -> None:
    if code is None:
        assert isinstance(only("Observation", name, "x"), Chain)
    else:
        assert invalid("Observation", name, "x").nv_code == code


def test_unknown_parameter_inside_a_chain() -> None:
    query = parse_search(("Observation",), [("subject:Patient.nope", "x")], REGISTRY)
    assert query.where == AllOf(())
    assert query.warnings == ("Unknown search parameter 'subject:Patient.nope' for Patient",)
    error = invalid("Observation", "subject:Patient.nope", "x", strict=True)
    assert error.nv_code == UNKNOWN_PARAMETER
    assert invalid("Observation", "nope.name", "x", strict=True).nv_code == UNKNOWN_PARAMETER


def test_unsupported_modifier_inside_a_chain() -> None:
    error = invalid("Observation", "subject:Patient.identifier:exact", "x", strict=True)
    assert error.nv_code == SEARCH_NOT_SUPPORTED


# --- _has -----------------------------------------------------------------------------------

OBS_CODE = param("Observation", "code")
AUDIT_ENTITY = param("AuditEvent", "entity")
AUDIT_AGENT = param("AuditEvent", "agent")


def test_has() -> None:
    expected = Has("Observation", OBS_PATIENT, TokenMatch(OBS_CODE, None, "1234-5"))
    assert only("Patient", "_has:Observation:patient:code", "1234-5") == expected


def test_nested_has() -> None:
    expected = Has(
        "Observation",
        OBS_PATIENT,
        Has("AuditEvent", AUDIT_ENTITY, ReferenceMatch(AUDIT_AGENT, "Practitioner", "x")),
    )
    name = "_has:Observation:patient:_has:AuditEvent:entity:agent"
    assert only("Patient", name, "Practitioner/x") == expected


def test_has_with_modifier_or_and_chain() -> None:
    assert only("Patient", "_has:Observation:patient:code:text", "Blood") == Has(
        "Observation", OBS_PATIENT, TokenMatch(OBS_CODE, None, None, mode="text", text="blood")
    )
    assert only("Patient", "_has:Observation:patient:code", "a,b") == Has(
        "Observation",
        OBS_PATIENT,
        AnyOf((TokenMatch(OBS_CODE, None, "a"), TokenMatch(OBS_CODE, None, "b"))),
    )
    performer = param("Observation", "performer")
    practitioner_name = param("Practitioner", "name")
    assert only("Patient", "_has:Observation:patient:performer:Practitioner.name", "x") == Has(
        "Observation",
        OBS_PATIENT,
        Chain(performer, "Practitioner", StringMatch(practitioner_name, "x")),
    )


def test_chain_into_has() -> None:
    encounter_subject = param("Encounter", "subject")
    assert only("Encounter", "subject:Patient._has:Observation:patient:code", "c") == Chain(
        encounter_subject,
        "Patient",
        Has("Observation", OBS_PATIENT, TokenMatch(OBS_CODE, None, "c")),
    )


@pytest.mark.parametrize(
    ("resource_type", "name"),
    [
        ("Patient", "_has:Observation:patient"),  # no parameter
        ("Patient", "_has:Observation"),
        ("Patient", "_has::patient:code"),
        ("Patient", "_has:NoSuchType:patient:code"),
        ("Patient", "_has:Observation:code:code"),  # code is not a reference
        ("Practitioner", "_has:Observation:patient:code"),  # patient never points at one
    ],
)
def test_malformed_has(resource_type: str, name: str) -> None:
    assert invalid(resource_type, name, "x").nv_code == BAD_PARAMETER


def test_has_with_unknown_parameters() -> None:
    query = parse_search(("Patient",), [("_has:Observation:nope:code", "x")], REGISTRY)
    assert query.warnings == (
        "Unknown search parameter '_has:Observation:nope:code' for Observation",
    )
    name = "_has:Observation:patient:nope"
    assert invalid("Patient", name, "x", strict=True).nv_code == UNKNOWN_PARAMETER
