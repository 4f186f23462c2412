"""Union splitting, type prefixes, the lenient ``as``, strict parsing and the engine adapter."""

from __future__ import annotations

import pytest

from resources.search.expressions import leading_name, lenient_as, split_union, with_leading_name
from resources.search.fhirpath import (
    CompiledPath,
    FhirPathEvaluationError,
    FhirPathSyntaxError,
    compile_path,
    parse_strict,
)


@pytest.mark.parametrize(
    ("expression", "branches"),
    [
        ("Patient.name", ("Patient.name",)),
        ("A.x | B.y", ("A.x", "B.y")),
        ("(A.x as Quantity) | (A.x as Range)", ("(A.x as Quantity)", "(A.x as Range)")),
        ("A.x.where(a = 'p|q') | B.y", ("A.x.where(a = 'p|q')", "B.y")),
        ("A.x.where((a | b).exists()) | B.y", ("A.x.where((a | b).exists())", "B.y")),
        ("A.`odd|name` | B.y", ("A.`odd|name`", "B.y")),
        ("A.x.where(a = 'it\\'s|') | B", ("A.x.where(a = 'it\\'s|')", "B")),
        ("", ()),
    ],
)
def test_split_union(expression: str, branches: tuple[str, ...]) -> None:
    assert split_union(expression) == branches


@pytest.mark.parametrize(
    ("branch", "name"),
    [
        ("Patient.name", "Patient"),
        ("(Observation.value as Quantity)", "Observation"),
        ("( (Observation.value as CodeableConcept)).text", "Observation"),
        ("name", "name"),
        ("%resource.id", None),
    ],
)
def test_leading_name(branch: str, name: str | None) -> None:
    assert leading_name(branch) == name


def test_with_leading_name() -> None:
    assert with_leading_name("Resource.meta.tag", "Patient") == "Patient.meta.tag"
    assert with_leading_name("(Resource.id)", "Patient") == "(Patient.id)"
    assert with_leading_name("%x", "Patient") == "%x"


@pytest.mark.parametrize(
    ("expression", "lenient"),
    [
        ("(Observation.value as Quantity)", "(Observation.value.ofType(Quantity))"),
        ("Patient.deceased as dateTime", "Patient.deceased.ofType(dateTime)"),
        ("(X.value as CodeableConcept).text", "(X.value.ofType(CodeableConcept)).text"),
        ("Condition.onset.as(Age)", "Condition.onset.ofType(Age)"),
        ("value.as(DateTime) | value.as(Period)", "value.ofType(dateTime) | value.ofType(Period)"),
        ("a + b.c as T", "a + b.c as T"),  # not a whole path: left as it is
        ("Patient.name", "Patient.name"),
    ],
)
def test_lenient_as(expression: str, lenient: str) -> None:
    assert lenient_as(expression) == lenient


@pytest.mark.parametrize("expression", ["Patient.name.(", "Patient..name", "a b", "", "2 + 2 /"])
def test_parse_strict_rejects_syntax_errors(expression: str) -> None:
    with pytest.raises(FhirPathSyntaxError):
        parse_strict(expression)


def test_compile_is_cached() -> None:
    assert compile_path("Patient.name") is compile_path("Patient.name")


def test_lenient_as_accepts_many_items_where_strict_as_raises() -> None:
    observation = {
        "resourceType": "Observation",
        "component": [{"valueQuantity": {"value": 1}}, {"valueQuantity": {"value": 2}}],
    }
    expression = "(Observation.component.value as Quantity)"
    values = [node.value for node in compile_path(expression).evaluate(observation, observation)]
    assert values == [{"value": 1}, {"value": 2}]
    with pytest.raises(FhirPathEvaluationError):
        CompiledPath(expression, lenient=False).evaluate(observation, observation)


def test_union_items_keep_their_type() -> None:
    patient = {"resourceType": "Patient", "name": [{"family": "F"}], "telecom": [{"value": "1"}]}
    nodes = compile_path("Patient.name | Patient.telecom").evaluate(patient, patient)
    assert [node.type for node in nodes] == ["HumanName", "ContactPoint"]


def test_choice_types_use_the_r4_model() -> None:
    observation = {"resourceType": "Observation", "effectiveDateTime": "2020-01-02"}
    nodes = compile_path("Observation.effective").evaluate(observation, observation)
    assert [(node.type, node.value) for node in nodes] == [("dateTime", "2020-01-02")]


def test_resolve_types_a_reference_by_its_target() -> None:
    observation = {
        "resourceType": "Observation",
        "contained": [{"resourceType": "Group", "id": "g"}],
        "performer": [
            {"reference": "Patient/1"},
            {"reference": "http://x.org/fhir/Practitioner/2/_history/3"},
            {"reference": "#g"},
            {"type": "Patient", "identifier": {"value": "9"}},
            {"display": "nobody"},
        ],
    }

    def targets(type_: str) -> list[object]:
        expression = f"Observation.performer.where(resolve() is {type_})"
        return [node.value for node in compile_path(expression).evaluate(observation, observation)]

    assert targets("Patient") == [{"reference": "Patient/1"}, observation["performer"][3]]
    assert targets("Practitioner") == [observation["performer"][1]]
    assert targets("Group") == [{"reference": "#g"}]


def test_unknown_function_is_an_evaluation_error() -> None:
    patient = {"resourceType": "Patient"}
    with pytest.raises(FhirPathEvaluationError, match="noSuchFunction"):
        compile_path("Patient.noSuchFunction()").evaluate(patient, patient)


def test_fhir_variables_are_defined() -> None:
    patient = {"resourceType": "Patient"}
    nodes = compile_path("%sct | %loinc").evaluate(patient, patient)
    assert [node.value for node in nodes] == ["http://snomed.info/sct", "http://loinc.org"]
