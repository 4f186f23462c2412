"""The validator on conforming resources and on broken copies, each caught at its path."""

from __future__ import annotations

from typing import Any

import pytest

from profiles_ig.checks import NATIVE, _holds
from profiles_ig.definitions import default_definitions
from profiles_ig.validation import is_error, validate_resource
from profiles_ig.validator import default_validator
from resources.errors import Issue
from tests.ig_data import profiled, profiled_names, url


def _errors(resource: dict[str, Any], profile: str | None = None) -> list[Issue]:
    issues = default_validator().validate(resource, url(profile) if profile else None)
    return [issue for issue in issues if is_error(issue)]


def _paths(issues: list[Issue]) -> set[str]:
    return {path for issue in issues for path in issue.expression}


@pytest.mark.parametrize("name", profiled_names())
def test_each_profiled_example_conforms_to_its_profile_and_the_base(name: str) -> None:
    resource = profiled(name)
    assert _errors(resource, name) == []
    assert [i for i in validate_resource(resource) if is_error(i)] == []


def test_a_missing_required_element_is_caught_at_its_path() -> None:
    patient = profiled("nv-patient")
    del patient["gender"]
    errors = _errors(patient, "nv-patient")
    assert _paths(errors) == {"Patient.gender"}
    assert errors[0].code == "required"
    assert _errors(patient) == []  # the base Patient does not require it


def test_too_many_values_for_a_slice_are_caught() -> None:
    intake = profiled("nv-nutrition-intake")
    source = {"url": url("input-source"), "valueCode": "text"}
    intake["extension"].append(source)  # a second input source: the slice allows one
    errors = _errors(intake, "nv-nutrition-intake")
    assert _paths(errors) == {"NutritionIntake.extension"}
    assert "maximum allowed = 1" in errors[0].diagnostics


def test_a_code_outside_a_required_binding_is_caught() -> None:
    intake = profiled("nv-nutrition-intake")
    intake["extension"][0]["valueCode"] = "telepathy"
    errors = _errors(intake, "nv-nutrition-intake")
    assert _paths(errors) == {"NutritionIntake.extension[0].valueCode"}
    assert errors[0].code == "code-invalid"


def test_a_condition_coded_outside_icd10cm_breaks_the_required_binding() -> None:
    condition = profiled("nv-condition")
    condition["code"]["coding"][0] = {"system": "http://snomed.info/sct", "code": "44054006"}
    errors = _errors(condition, "nv-condition")
    assert _paths(errors) == {"Condition.code"}
    assert _errors(condition) == []  # the base Condition has an example binding only


def test_a_broken_invariant_of_ours_is_caught() -> None:
    intake = profiled("nv-nutrition-intake")
    del intake["consumedItem"][0]["amount"]
    errors = _errors(intake, "nv-nutrition-intake")
    assert _paths(errors) == {"NutritionIntake"}
    assert "nv-ni-1" in errors[0].diagnostics
    assert errors[0].code == "invariant"


def test_a_malformed_icd10cm_code_breaks_its_invariant() -> None:
    condition = profiled("nv-condition")
    condition["code"]["coding"][0]["code"] = "diabetes"
    errors = _errors(condition, "nv-condition")
    assert _paths(errors) == {"Condition.code.coding[0]"}


def test_a_broken_base_invariant_is_caught() -> None:
    patient = profiled("nv-patient")
    patient["contact"] = [{"gender": "male"}]  # pat-1: a contact needs some detail
    errors = _errors(patient)
    assert _paths(errors) == {"Patient.contact[0]"}
    assert "pat-1" in errors[0].diagnostics


def test_a_wrong_reference_target_type_is_caught() -> None:
    allergy = profiled("nv-allergy-intolerance")
    allergy["patient"] = {"reference": "Group/102"}
    errors = _errors(allergy)
    assert _paths(errors) == {"AllergyIntolerance.patient.reference"}


def test_a_profile_narrowing_reference_targets_is_enforced() -> None:
    issue = profiled("nv-detected-issue")
    issue["implicated"].append({"reference": "Practitioner/1"})
    errors = _errors(issue, "nv-detected-issue")
    assert _paths(errors) == {"DetectedIssue.implicated[2].reference"}
    assert _errors(issue) == []


def test_a_missing_pattern_slice_is_caught() -> None:
    lab = profiled("nv-observation-lab")
    lab["category"][0]["coding"][0]["code"] = "vital-signs"
    errors = _errors(lab, "nv-observation-lab")
    assert _paths(errors) == {"Observation.category"}
    assert "slice laboratory" in errors[0].diagnostics


def test_a_fixed_value_slice_needs_its_system() -> None:
    lab = profiled("nv-observation-lab")
    lab["code"]["coding"][0]["system"] = "http://snomed.info/sct"
    errors = _errors(lab, "nv-observation-lab")
    assert _paths(errors) == {"Observation.code.coding"}
    assert "slice loinc" in errors[0].diagnostics


def test_a_type_outside_a_restricted_choice_is_caught() -> None:
    lab = profiled("nv-observation-lab")
    lab["effectiveInstant"] = "2026-11-20T10:00:00Z"
    del lab["effectiveDateTime"]
    errors = _errors(lab, "nv-observation-lab")
    assert "Observation.effective" in _paths(errors)


def test_an_extension_is_validated_against_its_definition() -> None:
    intake = profiled("nv-nutrition-intake")
    evidence = intake["extension"][2]["extension"]
    evidence[1]["valueString"] = "twelve,forty"
    errors = _errors(intake, "nv-nutrition-intake")
    assert _paths(errors) == {"NutritionIntake.extension[2]"}
    assert "nv-evidence-1" in errors[0].diagnostics


def test_an_extension_value_of_the_wrong_type_is_caught() -> None:
    intake = profiled("nv-nutrition-intake")
    intake["extension"][1] = {"url": url("recognition-confidence"), "valueString": "high"}
    errors = _errors(intake, "nv-nutrition-intake")
    assert "NutritionIntake.extension[1].value" in _paths(errors)


def test_a_claimed_profile_is_applied_and_an_unknown_one_is_a_warning() -> None:
    patient = profiled("nv-patient")
    del patient["birthDate"]
    assert _paths([i for i in validate_resource(patient) if is_error(i)]) == {"Patient.birthDate"}
    patient["meta"]["profile"] = ["http://example.org/StructureDefinition/unknown"]
    issues = validate_resource(patient)
    assert not [i for i in issues if is_error(i)]
    assert any(i.severity == "warning" and "not known" in i.diagnostics for i in issues)


def test_structural_problems_come_from_the_model_first() -> None:
    patient = profiled("nv-patient")
    patient["gender"] = ["female"]
    issues = validate_resource(patient)
    assert _paths(issues) == {"Patient.gender"}


def test_an_extension_with_both_a_value_and_extensions_breaks_ext_1() -> None:
    patient = profiled("nv-patient")
    patient["extension"] = [
        {
            "url": "http://example.org/x",
            "valueString": "a",
            "extension": [{"url": "y", "valueCode": "b"}],
        }
    ]
    errors = _errors(patient)
    assert _paths(errors) == {"Patient.extension[0]"}
    assert "ext-1" in errors[0].diagnostics


def test_a_contained_resource_with_its_own_meta_version_breaks_dom_4() -> None:
    patient = profiled("nv-patient")
    patient["contained"] = [{"resourceType": "Organization", "id": "o", "meta": {"versionId": "1"}}]
    patient["managingOrganization"] = {"reference": "#o"}
    errors = _errors(patient)
    assert "dom-4" in " ".join(e.diagnostics for e in errors)


def _ref_1_expression() -> str:
    reference = default_definitions().structure("Reference")
    assert reference is not None
    return str(
        next(
            constraint["expression"]
            for element in reference["snapshot"]["element"]
            for constraint in element.get("constraint", [])
            if constraint["key"] == "ref-1"
        )
    )


@pytest.mark.parametrize(
    "value",
    [
        {"display": "no reference"},
        {"reference": "Patient/1"},
        {"reference": "http://example.org/fhir/Patient/1"},
        {"reference": "urn:uuid:6e1b4f5a-0d2c-4f43-9f2e-3a1c6f1e2a10"},
        {"reference": "#o"},
        {"reference": "#missing"},
        {"reference": "#"},
    ],
    ids=["none", "relative", "absolute", "uuid", "local", "local-missing", "hash-only"],
)
def test_ref_1_in_python_answers_as_its_fhirpath(value: dict[str, Any]) -> None:
    root = {"resourceType": "Patient", "contained": [{"resourceType": "Organization", "id": "o"}]}
    native = NATIVE["ref-1"](value)
    if native is not None:
        assert native is _holds(_ref_1_expression(), value, "Reference", root, root)
    else:
        assert value["reference"].startswith("#")


def test_a_local_reference_to_nothing_contained_breaks_ref_1() -> None:
    patient = profiled("nv-patient")
    patient["contained"] = [{"resourceType": "Organization", "id": "o", "name": "x"}]
    patient["managingOrganization"] = {"reference": "#o"}
    assert _errors(patient) == []
    patient["managingOrganization"] = {"reference": "#other"}
    errors = _errors(patient)
    assert _paths(errors) == {"Patient.managingOrganization"}
    assert "ref-1" in errors[0].diagnostics
