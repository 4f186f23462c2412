"""The model facade: served types, and ``validation_issues`` on good and bad JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from resources.errors import Issue
from resources.model import is_served_type, validation_issues
from tests.examples import NUTRITION_INTAKE_EXAMPLE, load, r4_example_paths


def _patient(**fields: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", **fields}


def _only_issue_at(issues: list[Issue], path: str) -> Issue:
    assert issues, "expected a problem"
    assert all(issue.severity == "error" for issue in issues)
    matches = [issue for issue in issues if path in issue.expression]
    assert matches, [issue.to_json() for issue in issues]
    return matches[0]


@pytest.mark.parametrize("path", [*r4_example_paths(), NUTRITION_INTAKE_EXAMPLE], ids=str)
def test_spec_examples_are_valid(path: Path) -> None:
    assert validation_issues(load(path)) == []


def test_the_examples_were_copied() -> None:
    assert len(r4_example_paths()) >= 5
    assert NUTRITION_INTAKE_EXAMPLE.is_file()


@pytest.mark.parametrize(
    "resource",
    [
        _patient(),
        _patient(id="x", meta={"versionId": "3", "lastUpdated": "2024-01-01T00:00:00Z"}),
        _patient(gender="unknown", birthDate="1970", active=False),
        _patient(birthDate="1970-02"),
        _patient(multipleBirthInteger=2),
        _patient(_birthDate={"extension": [{"url": "http://e.org/x", "valueString": "s"}]}),
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "t"},
            "valueQuantity": {"value": 1.5},
        },
        {
            "resourceType": "NutritionIntake",
            "status": "completed",
            "consumedItem": [
                {"type": {"text": "food"}, "nutritionProduct": {"concept": {"text": "apple"}}}
            ],
            "subject": {"display": "p"},
        },
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": "2024",
            "kind": "instance",
            "fhirVersion": "4.0.1",
            "format": ["json", "application/fhir+json", "application/fhir+xml"],
        },
    ],
    ids=[
        "minimal",
        "meta",
        "codes",
        "partial-date",
        "integer",
        "primitive-extension",
        "decimal",
        "r5",
        "mime-type-codes",
    ],
)
def test_valid_resources_have_no_issues(resource: dict[str, Any]) -> None:
    assert validation_issues(resource) == []


@pytest.mark.parametrize(
    ("resource", "path", "code"),
    [
        (_patient(favouriteFood="soup"), "Patient.favouriteFood", "structure"),
        (_patient(name=[{"nickname": "J"}]), "Patient.name[0].nickname", "structure"),
        (_patient(active="true"), "Patient.active", "value"),
        (_patient(active=1), "Patient.active", "value"),
        (_patient(multipleBirthInteger=True), "Patient.multipleBirthInteger", "value"),
        (_patient(multipleBirthInteger="1"), "Patient.multipleBirthInteger", "value"),
        (_patient(birthDate=19700101), "Patient.birthDate", "value"),
        (_patient(name={"family": "Doe"}), "Patient.name", "structure"),
        (_patient(name=["Doe"]), "Patient.name[0]", "value"),
        (_patient(gender="xx"), "Patient.gender", "code-invalid"),
        (_patient(gender="Male"), "Patient.gender", "code-invalid"),
        (_patient(birthDate="1970-13-01"), "Patient.birthDate", "value"),
        (_patient(birthDate="1970-02-30"), "Patient.birthDate", "value"),
        (_patient(birthDate="70-01-01"), "Patient.birthDate", "value"),
        (_patient(name=[{"text": "a\x00b"}]), "Patient.name[0].text", "value"),
    ],
    ids=[
        "unknown-element",
        "unknown-nested-element",
        "string-for-boolean",
        "number-for-boolean",
        "boolean-for-integer",
        "string-for-integer",
        "number-for-date",
        "object-for-array",
        "string-in-object-array",
        "bad-code",
        "code-is-case-sensitive",
        "month-13",
        "february-30",
        "two-digit-year",
        "nul-character",
    ],
)
def test_invalid_resources_name_the_element(resource: dict[str, Any], path: str, code: str) -> None:
    issue = _only_issue_at(validation_issues(resource), path)
    assert issue.code == code
    assert issue.diagnostics.startswith(path)


def test_missing_required_element_is_reported() -> None:
    issues = validation_issues({"resourceType": "Observation", "code": {"text": "t"}})
    _only_issue_at(issues, "Observation.status")


def test_contained_resources_are_checked() -> None:
    resource = _patient(contained=[{"resourceType": "Patient", "id": "c", "gender": "xx"}])
    issue = _only_issue_at(validation_issues(resource), "Patient.contained[0].gender")
    assert issue.code == "code-invalid"


def test_r5_nutrition_intake_status_is_bound() -> None:
    example = load(NUTRITION_INTAKE_EXAMPLE)
    issue = _only_issue_at(
        validation_issues({**example, "status": "eaten"}), "NutritionIntake.status"
    )
    assert issue.code == "code-invalid"


@pytest.mark.parametrize("resource_type", ["Patients", "MedicinalProduct", None, 3])
def test_unknown_resource_types_are_issues(resource_type: object) -> None:
    issues = validation_issues({"resourceType": resource_type})
    assert len(issues) == 1
    assert issues[0].code == "value"


def test_every_problem_is_listed() -> None:
    issues = validation_issues(_patient(active="yes", gender="xx", birthDate=5))
    paths = {path for issue in issues for path in issue.expression}
    assert {"Patient.active", "Patient.gender", "Patient.birthDate"} <= paths


@pytest.mark.parametrize("name", ["Patient", "Observation", "NutritionIntake", "NutritionOrder"])
def test_served_types(name: str) -> None:
    assert is_served_type(name)


@pytest.mark.parametrize("name", ["patient", "MedicinalProduct", "Resource", "DomainResource", ""])
def test_not_served_types(name: str) -> None:
    assert not is_served_type(name)
