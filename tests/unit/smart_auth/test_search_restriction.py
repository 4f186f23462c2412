"""Searches narrowed by the policy inside the expression tree."""

from __future__ import annotations

import pytest

from resources import error_codes
from resources.errors import Forbidden
from resources.resource_types import SERVED_TYPES
from resources.search.parse import parse_search
from resources.search.query import (
    AllOf,
    AnyOf,
    Chain,
    Expr,
    Has,
    IdMatch,
    InCompartment,
    SearchQuery,
    TypeIn,
)
from resources.search.registry import default_registry
from smart_auth.context import AccessContext
from smart_auth.policy import NOTHING, AccessPolicy
from smart_auth.search_restriction import restrict_condition, restrict_search

CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def search(types: tuple[str, ...], *params: tuple[str, str]) -> SearchQuery:
    """A parsed search."""
    return parse_search(types, list(params), default_registry())


def policy(*scopes: str) -> AccessPolicy:
    """A token for patient ``me`` (practitioner ``7`` for user scopes)."""
    return AccessPolicy(AccessContext("app", scopes, patient="me", fhir_user="Practitioner/7"))


def test_single_type_gets_its_restriction_first() -> None:
    query = restrict_search(
        policy("patient/Observation.rs"), search(("Observation",), ("code", "x"))
    )
    first = query.where.items[0]
    assert isinstance(first, InCompartment)
    assert first.compartment_id == "me"
    assert len(query.where.items) == 2


def test_unrestricted_search_is_left_as_it_is() -> None:
    original = search(("Observation",), ("code", "x"))
    assert restrict_search(policy("user/Observation.rs"), original) == original


def test_search_without_scope_is_forbidden() -> None:
    with pytest.raises(Forbidden) as raised:
        restrict_search(policy("patient/Observation.rs"), search(("Condition",)))
    assert raised.value.nv_code == error_codes.SCOPE_INSUFFICIENT


def test_search_with_read_only_v2_scope_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        restrict_search(policy("patient/Observation.r"), search(("Observation",)))


def test_system_search_keeps_only_searchable_types_each_with_its_restriction() -> None:
    query = restrict_search(policy("patient/Observation.rs", "patient/Patient.rs"), search(()))
    branches = query.where.items[0]
    assert isinstance(branches, AnyOf)
    by_types = {}
    for branch in branches.items:
        assert isinstance(branch, AllOf)
        assert isinstance(branch.items[0], TypeIn)
        by_types[branch.items[0].types] = branch.items[1]
    assert by_types[("Patient",)] == IdMatch(("me",))
    assert isinstance(by_types[("Observation",)], InCompartment)


def test_system_search_with_system_scope_for_everything_is_unrestricted() -> None:
    query = restrict_search(policy("user/*.rs"), search(()))
    assert query.where.items == ()


def test_system_search_for_some_types_is_limited_to_them() -> None:
    query = restrict_search(policy("user/Observation.rs", "user/Patient.rs"), search(()))
    branches = query.where.items[0]
    assert branches == AnyOf((AllOf((TypeIn(("Observation", "Patient")),)),))


def test_named_types_must_all_be_searchable() -> None:
    with pytest.raises(Forbidden):
        restrict_search(policy("patient/Observation.rs"), search(("Observation", "Condition")))
    assert len(SERVED_TYPES) > 2


def test_system_search_with_no_search_scope_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        restrict_search(policy("patient/*.r"), search(()))


def _inner_of(node: Expr) -> Expr:
    assert isinstance(node, Chain | Has)
    return node.inner


def test_chains_look_only_at_what_the_token_sees() -> None:
    access = policy("patient/Observation.rs", "patient/Patient.rs")
    query = restrict_search(access, search(("Observation",), ("subject:Patient.name", "x")))
    inner = _inner_of(query.where.items[1])
    assert isinstance(inner, AllOf)
    assert inner.items[0] == IdMatch(("me",))


def test_has_looks_only_at_what_the_token_sees() -> None:
    access = policy("patient/Patient.rs", f"patient/Observation.rs?category={CATEGORY}|laboratory")
    query = restrict_search(access, search(("Patient",), ("_has:Observation:subject:code", "hiv")))
    inner = _inner_of(query.where.items[1])
    assert isinstance(inner, AllOf)
    assert inner.items[0] == access.restriction("s", "Observation")


def test_chain_into_a_type_without_scope_matches_nothing() -> None:
    access = policy("patient/Observation.rs")
    query = restrict_search(access, search(("Observation",), ("subject:Patient.name", "x")))
    assert _inner_of(query.where.items[1]) == NOTHING


def test_conditions_need_search_and_carry_the_write_restriction() -> None:
    criteria = search(("Observation",), ("identifier", "a|b"))
    with pytest.raises(Forbidden) as raised:
        restrict_condition(policy("patient/Observation.cud"), criteria, "u")
    assert raised.value.nv_code == error_codes.SCOPE_CONDITION_NEEDS_SEARCH
    lab = f"patient/Observation.u?category={CATEGORY}|laboratory"
    condition = restrict_condition(policy("patient/Observation.s", lab), criteria, "u")
    assert condition.where.items[0] == policy(lab).restriction("u", "Observation")
