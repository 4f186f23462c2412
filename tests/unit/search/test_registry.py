"""The shipped registry: every R4 SearchParameter, NutritionIntake's, per-base expressions."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from resources.search import build_registry
from resources.search.param_def import SearchParamDef, param_from_json, per_base_expressions
from resources.search.registry import (
    DATA_FILE,
    SearchRegistry,
    default_registry,
    load_registry,
)

SHARED = Path(__file__).resolve().parents[4] / "shared" / "fixtures"
R4_SEARCH_PARAMETERS = SHARED / "fhir-r4-definitions" / "search-parameters.json"
CLINICAL_PATIENT = "http://hl7.org/fhir/SearchParameter/clinical-patient"


@pytest.fixture(scope="module")
def registry() -> SearchRegistry:
    return default_registry()


def _get(registry: SearchRegistry, resource_type: str, code: str) -> SearchParamDef:
    param = registry.get(resource_type, code)
    assert param is not None, (resource_type, code)
    return param


def test_holds_every_r4_parameter_and_nutrition_intakes(registry: SearchRegistry) -> None:
    assert len(registry) == 1375 + 4  # R4, plus NutritionIntake's nutrition/source/status/subject
    assert len({param.url for param in registry}) == len(registry)


@pytest.mark.skipif(not R4_SEARCH_PARAMETERS.exists(), reason="../shared/fixtures is not here")
def test_urls_types_and_expressions_match_the_r4_bundle(registry: SearchRegistry) -> None:
    bundle = json.loads(R4_SEARCH_PARAMETERS.read_text("utf-8"))
    for entry in bundle["entry"]:
        original = entry["resource"]
        param = registry.by_url(original["url"])
        assert param is not None, original["url"]
        assert (param.code, param.type) == (original["code"], original["type"])
        assert param.base[: len(original["base"])] == tuple(original["base"])
        assert (param.expression or "").startswith(original.get("expression", ""))


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/fixtures is not here")
def test_shipped_file_is_what_the_build_script_makes_now() -> None:
    shipped = json.loads(gzip.decompress(DATA_FILE.read_bytes()))
    assert shipped == json.loads(json.dumps(build_registry.build(SHARED)))


def test_shipped_file_is_small() -> None:
    assert DATA_FILE.stat().st_size < 300 * 1024


def test_default_registry_is_loaded_once() -> None:
    assert default_registry() is default_registry()
    assert load_registry() is not default_registry()


def test_lookup_by_type_and_code(registry: SearchRegistry) -> None:
    name = _get(registry, "Patient", "name")
    assert (name.type, name.expression) == ("string", "Patient.name")
    assert _get(registry, "Observation", "code").url.endswith("/clinical-code")
    assert registry.get("Patient", "no-such-parameter") is None


@pytest.mark.parametrize(
    "code", ["_id", "_lastUpdated", "_tag", "_profile", "_security", "_source", "_content"]
)
def test_resource_level_parameters_apply_to_every_type(registry: SearchRegistry, code: str) -> None:
    for resource_type in ("Patient", "Bundle", "Binary", "NutritionIntake"):
        assert _get(registry, resource_type, code).base == ("Resource",)


def test_text_applies_to_domain_resources_only(registry: SearchRegistry) -> None:
    assert _get(registry, "Patient", "_text").base == ("DomainResource",)
    assert registry.get("Bundle", "_text") is None
    assert registry.get("Binary", "_text") is None


def test_params_for_a_type(registry: SearchRegistry) -> None:
    params = registry.params_for("Patient")
    assert {"_id", "_text", "name", "family", "birthdate", "identifier"} <= set(params)
    assert all(param.code == code for code, param in params.items())
    assert "code" not in params


def test_multi_base_parameter_is_split_per_base(registry: SearchRegistry) -> None:
    patient = registry.by_url(CLINICAL_PATIENT)
    assert patient is not None
    assert len(patient.base) == 33  # 32 R4 bases and NutritionIntake
    assert patient.expression is not None
    assert patient.expression.startswith("AllergyIntolerance.patient | CarePlan.subject")
    assert patient.expression_for("AllergyIntolerance") == "AllergyIntolerance.patient"
    assert patient.expression_for("CarePlan") == "CarePlan.subject.where(resolve() is Patient)"
    assert patient.expression_for("Patient") is None
    assert _get(registry, "Observation", "patient") is patient


def test_every_base_of_a_split_parameter_has_its_own_branch(registry: SearchRegistry) -> None:
    for param in registry:
        if param.expression is None:
            continue
        assert [base for base, _ in param.base_expressions] == list(param.base)
        for base, expression in param.base_expressions:
            if len(param.base) > 1:
                assert base in expression


def test_parenthesised_as_branches_are_split(registry: SearchRegistry) -> None:
    medication = _get(registry, "MedicationRequest", "medication")
    expected = "(MedicationRequest.medication as Reference)"
    assert medication.expression_for("MedicationRequest") == expected


def test_resource_level_expression_is_retyped(registry: SearchRegistry) -> None:
    assert _get(registry, "Patient", "_id").expression_for("Patient") == "Patient.id"
    updated = _get(registry, "Observation", "_lastUpdated")
    assert updated.expression_for("Observation") == "Observation.meta.lastUpdated"


def test_union_without_type_prefix_keeps_the_whole_expression() -> None:
    assert per_base_expressions("name | alias", ["InsurancePlan"]) == (
        ("InsurancePlan", "name | alias"),
    )
    split = per_base_expressions("A.x | B.y | A.z", ["A", "B"])
    assert split == (("A", "A.x | A.z"), ("B", "B.y"))


def test_nutrition_intake_parameters(registry: SearchRegistry) -> None:
    expected = {
        "nutrition": "NutritionIntake.consumedItem.nutritionProduct.concept",
        "source": "(NutritionIntake.reported as Reference)",
        "status": "NutritionIntake.status",
        "subject": "NutritionIntake.subject",
        "patient": "NutritionIntake.subject.where(resolve() is Patient)",
        "encounter": "NutritionIntake.encounter",
    }
    for code, expression in expected.items():
        assert _get(registry, "NutritionIntake", code).expression_for("NutritionIntake") == (
            expression
        )
    assert {"code", "date", "identifier"} <= set(registry.params_for("NutritionIntake"))
    assert set(_get(registry, "NutritionIntake", "source").target) == {
        "Organization",
        "Patient",
        "Practitioner",
        "PractitionerRole",
        "RelatedPerson",
    }


def test_composite_components_resolve(registry: SearchRegistry) -> None:
    composites = [param for param in registry if param.type == "composite"]
    assert len(composites) == 46
    for param in composites:
        assert param.component
        for component in param.component:
            assert registry.by_url(component.definition) is not None, component


def test_compartments(registry: SearchRegistry) -> None:
    assert set(registry.compartments) == {
        "Patient",
        "Encounter",
        "RelatedPerson",
        "Practitioner",
        "Device",
    }
    assert registry.compartment_params("Patient", "Observation") == ("subject", "performer")
    assert registry.compartment_params("Patient", "Patient") == ("link",)
    assert registry.compartment_params("Encounter", "Encounter") == ("{def}",)
    assert registry.compartment_params("Patient", "NutritionIntake") == ("subject",)
    assert registry.compartment_params("Patient", "CodeSystem") == ()
    assert registry.compartment_params("Nowhere", "Observation") == ()


def test_compartment_codes_are_parameters_of_the_member_type(registry: SearchRegistry) -> None:
    for members in registry.compartments.values():
        for resource_type, codes in members.items():
            for code in codes:
                assert code == "{def}" or registry.get(resource_type, code), (resource_type, code)


def test_with_params_replaces_by_url(registry: SearchRegistry) -> None:
    replaced = param_from_json(
        {
            "url": CLINICAL_PATIENT,
            "code": "patient",
            "type": "reference",
            "base": ["Observation"],
            "expression": "Observation.subject",
        }
    )
    updated = registry.with_params([replaced])
    assert len(updated) == len(registry)
    assert _get(updated, "Observation", "patient").expression == "Observation.subject"
    assert updated.get("Condition", "patient") is None
    assert _get(registry, "Condition", "patient").url == CLINICAL_PATIENT
