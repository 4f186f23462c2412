"""The access policy: grants per context, compartment and v2 query restrictions, write rules."""

from __future__ import annotations

from typing import Any

import pytest

from resources import error_codes
from resources.errors import Forbidden
from resources.search.query import AllOf, IdMatch, InCompartment, TokenMatch
from resources.search.registry import default_registry
from smart_auth.context import AccessContext
from smart_auth.policy import NOTHING, SHARED_TYPES, AccessPolicy, policy_for

CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
LAB_SCOPE = f"patient/Observation.rs?category={CATEGORY}|laboratory"


def observation(subject: str, category: str = "laboratory", **extra: Any) -> dict[str, Any]:
    """An Observation about ``subject`` (``Patient/x``) in ``category``."""
    return {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"text": "x"},
        "subject": {"reference": subject},
        "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
        **extra,
    }


def patient(id_: str, **extra: Any) -> dict[str, Any]:
    """A Patient resource."""
    return {"resourceType": "Patient", "id": id_, **extra}


def policy(*scopes: str, **context: str) -> AccessPolicy:
    """The policy of a token with these scopes and launch context."""
    return AccessPolicy(AccessContext("app", scopes, **context))


def test_patient_read_reaches_only_the_compartment() -> None:
    access = policy("patient/*.read", "launch/patient", patient="me")
    assert access.permits("r", observation("Patient/me"))
    assert not access.permits("r", observation("Patient/other"))
    assert access.permits("r", patient("me"))
    assert not access.permits("r", patient("other"))
    assert not access.permits("r", patient("other", link=[{"other": {"reference": "Patient/me"}}]))
    assert not access.allows("c", "Observation")
    assert not access.allows("d", "Patient")


def test_patient_compartment_uses_every_compartment_parameter() -> None:
    access = policy("patient/Observation.rs", patient="me")
    performed = observation("Patient/other", performer=[{"reference": "Patient/me"}])
    assert access.permits("r", performed)
    restriction = access.restriction("s", "Observation")
    assert isinstance(restriction, InCompartment)
    assert {p.code for p in restriction.params} == {"subject", "performer"}


def test_patient_restriction_of_patient_type_is_the_id() -> None:
    access = policy("patient/Patient.rs", patient="me")
    assert access.restriction("r", "Patient") == IdMatch(("me",))


def test_patient_scopes_read_shared_types_but_never_write_them() -> None:
    access = policy("patient/*.cruds", patient="me")
    assert "Practitioner" in SHARED_TYPES
    assert access.restriction("r", "Practitioner") is None
    assert not access.allows("c", "Practitioner")
    assert not access.allows("u", "Medication")


@pytest.mark.parametrize("resource_type", ["Task", "Binary", "Bundle", "Device"])
def test_patient_scopes_do_not_reach_types_outside_compartment(resource_type: str) -> None:
    access = policy("patient/*.cruds", patient="me")
    assert not access.allows("r", resource_type)
    assert not access.allows("s", resource_type)


def test_patient_scopes_without_launch_patient_grant_nothing() -> None:
    access = policy("patient/*.read", "launch/patient")
    assert access.grants == ()
    assert not access.allows("r", "Observation")


def test_v2_query_restricts_to_the_category() -> None:
    access = policy(LAB_SCOPE, patient="me")
    assert access.permits("r", observation("Patient/me"))
    assert not access.permits("r", observation("Patient/me", "vital-signs"))
    assert not access.permits("r", observation("Patient/other"))
    restriction = access.restriction("s", "Observation")
    assert isinstance(restriction, AllOf)
    token = restriction.items[1]
    assert isinstance(token, AllOf)
    assert isinstance(token.items[0], TokenMatch)
    assert token.items[0].code == "laboratory"


def test_v2_query_that_cannot_be_read_grants_nothing() -> None:
    for scope in (
        "patient/Observation.rs?nonsense=1",
        "patient/Observation.rs?_include=Observation:subject",
        "patient/Observation.rs?_count=1",
    ):
        assert not policy(scope, patient="me").allows("s", "Observation"), scope


def test_wildcard_query_applies_only_where_the_parameter_exists() -> None:
    access = policy(f"patient/*.rs?category={CATEGORY}|laboratory", patient="me")
    assert access.allows("s", "Observation")
    assert not access.allows("s", "Patient")


def test_query_a_read_check_cannot_evaluate_denies_the_read() -> None:
    access = policy("patient/Observation.rs?date=ge2020", patient="me")
    assert access.allows("s", "Observation")  # the search compiles it to SQL
    dated = observation("Patient/me", effectiveDateTime="2021-01-01")
    assert not access.permits("r", dated)


def test_grants_add_up() -> None:
    access = policy(LAB_SCOPE, "patient/Observation.rs", patient="me")
    assert access.permits("r", observation("Patient/me", "vital-signs"))
    both = policy(LAB_SCOPE, "user/Observation.rs", patient="me", fhir_user="Practitioner/7")
    assert both.restriction("s", "Observation") is None


def test_user_scopes_of_a_patient_user_are_its_compartment() -> None:
    access = policy("user/*.cruds", fhir_user="Patient/me")
    assert access.permits("r", observation("Patient/me"))
    assert not access.permits("r", observation("Patient/other"))


@pytest.mark.parametrize("fhir_user", ["Practitioner/7", "https://x.org/fhir/PractitionerRole/7"])
def test_user_scopes_of_a_practitioner_reach_the_whole_type(fhir_user: str) -> None:
    access = policy("user/Observation.rs", fhir_user=fhir_user)
    assert access.restriction("r", "Observation") is None
    assert not access.allows("r", "Patient")


@pytest.mark.parametrize("context", [{}, {"fhir_user": "RelatedPerson/1"}, {"fhir_user": "x"}])
def test_user_scopes_without_a_known_user_grant_nothing(context: dict[str, str]) -> None:
    assert not policy("user/*.cruds", **context).allows("r", "Observation")


def test_system_scopes_reach_everything() -> None:
    access = policy("system/*.*")
    assert access.restriction("d", "Patient") is None
    assert access.permits("c", observation("Patient/anyone"))


def test_read_only_token_cannot_write() -> None:
    access = policy("system/*.rs")
    with pytest.raises(Forbidden) as raised:
        access.require("c", "Observation")
    assert raised.value.nv_code == error_codes.SCOPE_INSUFFICIENT
    assert raised.value.headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'


@pytest.mark.parametrize("other", ["patient/Observation.rs", "user/Observation.rs"])
def test_system_mixed_with_patient_or_user_is_refused(other: str) -> None:
    access = policy("system/*.rs", other, patient="me", fhir_user="Practitioner/1")
    assert not access.allows("r", "Observation")
    with pytest.raises(Forbidden) as raised:
        access.require("r", "Observation")
    assert raised.value.nv_code == error_codes.SCOPE_MIXED_CONTEXT


def test_patient_and_user_scopes_combine() -> None:
    access = policy(
        "patient/Observation.rs", "user/Practitioner.rs", patient="me", fhir_user="Practitioner/1"
    )
    assert access.allows("r", "Practitioner")
    assert access.restriction("r", "Observation") != NOTHING


def test_patient_write_stays_in_own_compartment() -> None:
    access = policy("patient/*.cruds", patient="me")
    assert access.permits("c", observation("Patient/me"))
    assert not access.permits("c", observation("Patient/other"))
    moved = observation("Patient/me", performer=[{"reference": "Patient/other"}])
    assert access.permits("r", moved)  # in the compartment, so visible
    assert not access.permits("u", moved)  # but a write may not reach another patient
    assert not access.permits("c", observation("#contained"))
    assert access.permits("u", patient("me"))
    assert not access.permits("u", patient("me", link=[{"other": {"reference": "Patient/x"}}]))
    assert not access.permits("c", patient("new"))


def test_v2_write_query_applies_to_the_new_content() -> None:
    access = policy(f"patient/Observation.cu?category={CATEGORY}|laboratory", patient="me")
    assert access.permits("c", observation("Patient/me"))
    assert not access.permits("c", observation("Patient/me", "vital-signs"))


def test_policies_are_built_once_per_token() -> None:
    access = AccessContext("app", ("system/*.rs",))
    registry = default_registry()
    assert policy_for(access, registry) is policy_for(access, registry)
