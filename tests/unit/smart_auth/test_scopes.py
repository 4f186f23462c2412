"""SMART scope parsing: v1 and v2 forms, queries, and what grants nothing."""

from __future__ import annotations

import pytest

from smart_auth.scopes import ResourceScope, parse_scope, parse_scopes, split_scope_string

LAB = "category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory"


def test_v1_read_is_read_and_search() -> None:
    assert parse_scope("patient/*.read") == ResourceScope(
        "patient", "*", frozenset({"r", "s"}), (), 1, "patient/*.read"
    )


def test_v1_write_is_create_update_delete() -> None:
    scope = parse_scope("user/Observation.write")
    assert scope is not None
    assert scope.interactions == frozenset({"c", "u", "d"})
    assert (scope.context, scope.resource_type, scope.version) == ("user", "Observation", 1)


def test_v1_star_is_everything() -> None:
    scope = parse_scope("system/*.*")
    assert scope is not None
    assert scope.interactions == frozenset("cruds")


@pytest.mark.parametrize(
    ("text", "granted"),
    [("patient/Observation.rs", "rs"), ("user/Patient.cruds", "cruds"), ("user/Patient.d", "d")],
)
def test_v2_permissions(text: str, granted: str) -> None:
    scope = parse_scope(text)
    assert scope is not None
    assert scope.interactions == frozenset(granted)
    assert scope.version == 2


def test_v2_query_is_kept_as_search_parameters() -> None:
    scope = parse_scope(f"patient/Observation.rs?{LAB}")
    assert scope is not None
    assert scope.query == (
        ("category", "http://terminology.hl7.org/CodeSystem/observation-category|laboratory"),
    )


@pytest.mark.parametrize(
    "text",
    [
        "openid",
        "fhirUser",
        "launch",
        "launch/patient",
        "offline_access",
        "online_access",
        "patient/Observation.sr",  # v2 letters out of order
        "patient/Observation.rr",
        "patient/Observation.x",
        "patient/Observation.",
        "patient/NotAType.read",
        "patient/observation.read",
        "practitioner/Observation.read",
        "patient/Observation.read?category=x",  # queries exist only in v2
        "patient/Observation.rs?",
        "patient/Observation.rs?category=",
        "patient/*.read extra",
    ],
)
def test_what_grants_nothing(text: str) -> None:
    assert parse_scope(text) is None


def test_parse_scopes_keeps_resource_scopes_only() -> None:
    parsed = parse_scopes(("openid", "fhirUser", "patient/Patient.r", "launch/patient"))
    assert [scope.text for scope in parsed] == ["patient/Patient.r"]


def test_split_scope_string() -> None:
    assert split_scope_string("openid  patient/*.rs openid") == ("openid", "patient/*.rs")
