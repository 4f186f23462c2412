"""Result-shaping parameters, echo, strict vs lenient handling, system-level and compartment
searches (https://hl7.org/fhir/R4/search.html#return, #errors, #all, compartments.html)."""

from __future__ import annotations

import pytest

from resources.error_codes import (
    BAD_PARAMETER,
    NOT_IN_COMPARTMENT,
    SEARCH_NOT_SUPPORTED,
    UNKNOWN_PARAMETER,
)
from resources.errors import Invalid
from resources.search.param_def import SearchParamDef
from resources.search.parse import parse_search
from resources.search.query import (
    AllOf,
    IdMatch,
    Include,
    InCompartment,
    SearchQuery,
    SortKey,
    StringMatch,
    TokenMatch,
)
from resources.search.registry import default_registry

REGISTRY = default_registry()


def param(resource_type: str, code: str) -> SearchParamDef:
    found = REGISTRY.get(resource_type, code)
    assert found is not None, (resource_type, code)
    return found


def parse(resource_type: str, *params: tuple[str, str], strict: bool = False) -> SearchQuery:
    return parse_search((resource_type,), list(params), REGISTRY, strict=strict)


def invalid(resource_type: str, *params: tuple[str, str], strict: bool = False) -> Invalid:
    with pytest.raises(Invalid) as caught:
        parse(resource_type, *params, strict=strict)
    return caught.value


# --- _count ---------------------------------------------------------------------------------


def test_count_default_given_and_capped() -> None:
    assert parse("Patient").count == 20
    assert parse_search(("Patient",), [], REGISTRY, default_count=50).count == 50
    assert parse("Patient", ("_count", "5")).count == 5
    assert parse("Patient", ("_count", "0")).count == 0
    capped = parse_search(("Patient",), [("_count", "5000")], REGISTRY, max_count=100)
    assert capped.count == 100
    assert capped.echo == (("_count", "100"),)
    assert capped.warnings == ("_count=5000 is over the limit: 100 used",)


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "1e2", "99999999999"])
def test_malformed_count(value: str) -> None:
    assert invalid("Patient", ("_count", value)).nv_code == BAD_PARAMETER


def test_count_repeated() -> None:
    assert parse("Patient", ("_count", "5"), ("_count", "5")).count == 5
    assert invalid("Patient", ("_count", "5"), ("_count", "6")).nv_code == BAD_PARAMETER


def test_control_with_a_modifier_is_malformed() -> None:
    assert invalid("Patient", ("_count:exact", "5")).nv_code == BAD_PARAMETER
    assert invalid("Patient", ("_sort:desc", "name")).nv_code == BAD_PARAMETER


# --- _sort ----------------------------------------------------------------------------------


def test_sort_keys() -> None:
    query = parse("Observation", ("_sort", "status,-date"), ("_sort", "_id, -_lastUpdated"))
    assert query.sort == (
        SortKey(param("Observation", "status"), False),
        SortKey(param("Observation", "date"), True),
        SortKey(None, False, "_id"),
        SortKey(None, True, "_lastUpdated"),
    )
    assert query.echo == (("_sort", "status,-date"), ("_sort", "_id,-_lastUpdated"))


def test_sort_unknown_parameter_is_always_invalid() -> None:
    assert invalid("Patient", ("_sort", "nope")).nv_code == UNKNOWN_PARAMETER
    assert invalid("Patient", ("_sort", "-code")).nv_code == UNKNOWN_PARAMETER


@pytest.mark.parametrize("value", ["name,,birthdate", "-", "code-value-quantity", "_text"])
def test_malformed_sort(value: str) -> None:
    resource_type = "Observation" if value.startswith("code") else "Patient"
    assert invalid(resource_type, ("_sort", value)).nv_code == BAD_PARAMETER


# --- _include / _revinclude -----------------------------------------------------------------


def test_includes() -> None:
    subject = param("Observation", "subject")
    query = parse(
        "Observation",
        ("_include", "Observation:subject"),
        ("_include", "Observation:subject:Patient"),
        ("_include:iterate", "Patient:general-practitioner"),
        ("_include:recurse", "Patient:organization"),
        ("_include", "*"),
        ("_include", "Observation:*"),
        ("_revinclude", "Provenance:target"),
        ("_revinclude:iterate", "*"),
    )
    assert query.includes == (
        Include("Observation", subject, None, reverse=False, iterate=False),
        Include("Observation", subject, "Patient", reverse=False, iterate=False),
        Include("Patient", param("Patient", "general-practitioner"), None, False, True),
        Include("Patient", param("Patient", "organization"), None, False, True),
        Include("*", None, None, reverse=False, iterate=False),
        Include("Observation", None, None, reverse=False, iterate=False),
        Include("Provenance", param("Provenance", "target"), None, reverse=True, iterate=False),
        Include("*", None, None, reverse=True, iterate=True),
    )
    assert query.warnings == ()


def test_repeated_include_is_kept_once() -> None:
    query = parse(
        "Observation", ("_include", "Observation:subject"), ("_include", "Observation:subject")
    )
    assert len(query.includes) == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("_include", "Observation"),  # no parameter
        ("_include", "Observation:subject:Patient:extra"),
        ("_include", "NoSuchType:subject"),
        ("_include", "Observation:code"),  # not a reference
        ("_include", "Observation:nope"),
        ("_include", "Observation:subject:Medication"),  # not a target
        ("_include", "Observation:subject:NoSuchType"),
        ("_include:deep", "Observation:subject"),
        ("_revinclude", "Provenance:target:Nope"),
    ],
)
def test_malformed_includes(name: str, value: str) -> None:
    assert invalid("Observation", (name, value)).nv_code == BAD_PARAMETER


def test_include_that_cannot_reach_anything_is_a_warning() -> None:
    query = parse("Observation", ("_include", "Patient:organization"))
    assert query.includes == (
        Include("Patient", param("Patient", "organization"), None, reverse=False, iterate=False),
    )
    assert query.warnings == ("_include=Patient:organization can find nothing on this search",)
    revinclude = parse("Organization", ("_revinclude", "Observation:subject"))
    assert revinclude.warnings == (
        "_revinclude=Observation:subject can find nothing on this search",
    )
    assert parse("Patient", ("_revinclude", "Observation:subject")).warnings == ()


# --- _total, _summary, _elements, _contained ------------------------------------------------


@pytest.mark.parametrize("value", ["none", "estimate", "accurate"])
def test_total(value: str) -> None:
    assert parse("Patient", ("_total", value)).total == value


@pytest.mark.parametrize("value", ["true", "text", "data", "count", "false"])
def test_summary(value: str) -> None:
    assert parse("Patient", ("_summary", value)).summary == value


@pytest.mark.parametrize(("name", "value"), [("_total", "all"), ("_summary", "yes")])
def test_malformed_total_and_summary(name: str, value: str) -> None:
    assert invalid("Patient", (name, value)).nv_code == BAD_PARAMETER


def test_defaults() -> None:
    query = parse("Patient")
    assert (query.total, query.summary, query.elements, query.sort, query.includes) == (
        "none",
        "false",
        (),
        (),
        (),
    )
    assert query.where == AllOf(())


def test_elements() -> None:
    query = parse(
        "Patient", ("_elements", "identifier, active"), ("_elements", "Patient.name,active")
    )
    assert query.elements == ("identifier", "active", "Patient.name")
    assert query.echo == (("_elements", "identifier,active"), ("_elements", "Patient.name,active"))


@pytest.mark.parametrize("value", ["1abc", "name,", "a b", "Patient.", "name.given"])
def test_malformed_elements(value: str) -> None:
    assert invalid("Patient", ("_elements", value)).nv_code == BAD_PARAMETER


def test_contained_defaults_accepted_others_not_supported() -> None:
    query = parse("Patient", ("_contained", "false"), ("_containedType", "container"))
    assert query.warnings == ()
    assert query.echo == (("_contained", "false"), ("_containedType", "container"))
    lenient = parse("Patient", ("_contained", "true"), ("_containedType", "contained"))
    assert lenient.warnings == (
        "_contained=true is not supported (only false)",
        "_containedType=contained is not supported (only container)",
    )
    assert lenient.echo == ()
    error = invalid("Patient", ("_contained", "both"), strict=True)
    assert error.nv_code == SEARCH_NOT_SUPPORTED


# --- echo, ignored and empty parameters -----------------------------------------------------


def test_echo_keeps_request_order_and_drops_what_was_not_understood() -> None:
    query = parse(
        "Patient",
        ("name", "peter"),
        ("_format", "json"),
        ("_pretty", "true"),
        ("_cursor", "abc"),
        ("nope", "1"),
        ("_count", "10"),
        ("_type", "Patient"),
        ("_include", "Patient:organization"),
        ("name:exact", "Peter"),
        ("family", ""),
    )
    assert query.echo == (
        ("name", "peter"),
        ("_count", "10"),
        ("_type", "Patient"),
        ("_include", "Patient:organization"),
        ("name:exact", "Peter"),
    )
    assert query.warnings == ("Unknown search parameter 'nope' for Patient",)
    assert len(query.where.items) == 2


def test_type_is_only_echoed() -> None:
    query = parse_search(
        ("Patient", "Practitioner"), [("_type", "Patient"), ("_type", "Practitioner")], REGISTRY
    )
    assert query.echo == (("_type", "Patient"), ("_type", "Practitioner"))
    assert query.where == AllOf(())
    assert query.resource_types == ("Patient", "Practitioner")
    assert invalid("Patient", ("_type:x", "Patient")).nv_code == BAD_PARAMETER


def test_empty_values_are_ignored() -> None:
    query = parse("Patient", ("name", ""), ("_count", " "), ("_sort", ""))
    assert query == SearchQuery(("Patient",), AllOf(()))


def test_only_commas_is_malformed() -> None:
    assert invalid("Patient", ("name", ",,")).nv_code == BAD_PARAMETER


# --- strict vs lenient ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("nope", "x", UNKNOWN_PARAMETER),
        ("_list", "x", UNKNOWN_PARAMETER),
        ("name:sounds-like", "x", SEARCH_NOT_SUPPORTED),
        ("identifier:exact", "http://x/vs", SEARCH_NOT_SUPPORTED),
        ("_query", "x", SEARCH_NOT_SUPPORTED),
        ("_contained", "true", SEARCH_NOT_SUPPORTED),
    ],
)
def test_strict_turns_every_warning_into_a_400(name: str, value: str, code: str) -> None:
    lenient = parse("Patient", ("name", "a"), (name, value))
    assert len(lenient.warnings) == 1
    assert lenient.where == AllOf((StringMatch(param("Patient", "name"), "a"),))
    error = invalid("Patient", ("name", "a"), (name, value), strict=True)
    assert (error.nv_code, error.status) == (code, 400)


def test_malformed_values_fail_even_when_lenient() -> None:
    assert invalid("Patient", ("birthdate", "notadate")).nv_code == BAD_PARAMETER


# --- system-level searches ------------------------------------------------------------------


def test_system_search_takes_only_resource_level_parameters() -> None:
    query = parse_search((), [("_id", "a"), ("name", "x"), ("_sort", "_lastUpdated")], REGISTRY)
    assert query.where == AllOf((IdMatch(("a",)),))
    assert query.warnings == ("Unknown search parameter 'name' for every resource type",)
    assert query.sort == (SortKey(None, False, "_lastUpdated"),)
    tag = REGISTRY.get("Resource", "_tag")
    assert tag is not None
    assert parse_search((), [("_tag", "a|b")], REGISTRY).where == AllOf(
        (TokenMatch(tag, "a", "b"),)
    )


def test_system_search_on_several_types_takes_their_common_parameters() -> None:
    types = ("Patient", "Practitioner")
    query = parse_search(types, [("name", "x"), ("_sort", "name")], REGISTRY)
    assert query.resource_types == types
    assert query.where == AllOf((StringMatch(param("Patient", "name"), "x"),))
    assert query.sort == (SortKey(param("Patient", "name"), False),)
    # Observation has no 'name'; Account's 'type' is a token, StructureDefinition's a uri
    assert parse_search(("Patient", "Observation"), [("name", "x")], REGISTRY).warnings == (
        "Unknown search parameter 'name' for Patient, Observation",
    )
    mixed = parse_search(("Account", "StructureDefinition"), [("type", "x")], REGISTRY)
    assert mixed.where == AllOf(())
    with pytest.raises(Invalid) as caught:
        parse_search(("Patient", "Observation"), [("_sort", "name")], REGISTRY)
    assert caught.value.nv_code == UNKNOWN_PARAMETER


# --- compartments ---------------------------------------------------------------------------


def test_compartment_restriction_comes_first() -> None:
    query = parse_search(("Observation",), [("code", "x")], REGISTRY, compartment=("Patient", "p1"))
    restriction = InCompartment(
        "Patient",
        "p1",
        (param("Observation", "subject"), param("Observation", "performer")),
        (("Observation", ("subject", "performer")),),
    )
    assert query.where == AllOf((restriction, TokenMatch(param("Observation", "code"), None, "x")))


def test_compartment_of_every_member_type() -> None:
    query = parse_search((), [], REGISTRY, compartment=("Encounter", "e1"))
    (restriction,) = query.where.items
    assert isinstance(restriction, InCompartment)
    members = REGISTRY.compartments["Encounter"]
    expected = {
        param(resource_type, code).url
        for resource_type, codes in members.items()
        for code in codes
        if code != "{def}"  # the owner itself: no linking parameter
    }
    assert {p.url for p in restriction.params} == expected


def test_compartment_owner_type_has_no_linking_parameter() -> None:
    assert REGISTRY.compartment_params("Encounter", "Encounter") == ("{def}",)
    query = parse_search(("Encounter",), [], REGISTRY, compartment=("Encounter", "e1"))
    assert query.where == AllOf((InCompartment("Encounter", "e1", (), (("Encounter", ()),)),))


@pytest.mark.parametrize(
    ("resource_type", "compartment"),
    [("Organization", ("Patient", "p1")), ("Observation", ("Nope", "x"))],
)
def test_outside_the_compartment_is_invalid(
    resource_type: str, compartment: tuple[str, str]
) -> None:
    with pytest.raises(Invalid) as caught:
        parse_search((resource_type,), [], REGISTRY, compartment=compartment)
    assert caught.value.nv_code == NOT_IN_COMPARTMENT
