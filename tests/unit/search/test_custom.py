"""Custom SearchParameter resources: accepted when indexable, refused with a clear 422 otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from resources import error_codes
from resources.errors import Unprocessable
from resources.search.extract import extract
from resources.search.registry import SearchRegistry, default_registry
from resources.search.values import TokenValue

EYE_COLOUR_URL = "http://example.org/fhir/StructureDefinition/eye-colour"


def custom(**changes: Any) -> dict[str, Any]:
    """A valid custom SearchParameter, with some elements changed (None removes one)."""
    resource: dict[str, Any] = {
        "resourceType": "SearchParameter",
        "url": "http://example.org/fhir/SearchParameter/Patient-eye-colour",
        "name": "eye-colour",
        "status": "active",
        "code": "eye-colour",
        "base": ["Patient"],
        "type": "token",
        "expression": f"Patient.extension.where(url = '{EYE_COLOUR_URL}').value",
    }
    resource.update(changes)
    return {key: value for key, value in resource.items() if value is not None}


def test_custom_parameter_is_added_to_a_new_registry() -> None:
    registry = default_registry()
    updated = registry.with_custom(custom())
    assert registry.get("Patient", "eye-colour") is None
    param = updated.get("Patient", "eye-colour")
    assert param is not None
    assert len(updated) == len(registry) + 1
    patient = {
        "resourceType": "Patient",
        "extension": [{"url": EYE_COLOUR_URL, "valueCode": "blue"}],
    }
    assert extract(patient, param, updated) == [TokenValue(None, "blue")]


def test_custom_parameter_may_override_a_built_in_code() -> None:
    updated = default_registry().with_custom(
        custom(code="gender", expression="Patient.gender", url="http://example.org/sp/g")
    )
    gender = updated.get("Patient", "gender")
    assert gender is not None
    assert gender.url == "http://example.org/sp/g"


@pytest.mark.parametrize(
    "expression",
    [
        "Patient.name.extension.url",
        "Patient.contact.name.family",
        "Patient.deceased",
        "Patient.meta.tag | Patient.link.other",
    ],
)
def test_plain_paths_through_inherited_backbone_and_choice_elements(expression: str) -> None:
    param = (
        default_registry().with_custom(custom(expression=expression)).get("Patient", "eye-colour")
    )
    assert param is not None


def test_custom_composite_uses_known_components() -> None:
    composite = custom(
        code="code-status",
        type="composite",
        base=["Observation"],
        expression="Observation",
        component=[
            {
                "definition": "http://hl7.org/fhir/SearchParameter/clinical-code",
                "expression": "code",
            },
            {
                "definition": "http://hl7.org/fhir/SearchParameter/Observation-status",
                "expression": "status",
            },
        ],
    )
    param = default_registry().with_custom(composite).get("Observation", "code-status")
    assert param is not None
    assert len(param.component) == 2


@pytest.mark.parametrize(
    ("changes", "message", "element"),
    [
        ({"resourceType": "Patient"}, "a SearchParameter resource", "SearchParameter.resourceType"),
        ({"url": None}, "a non-empty string", "SearchParameter.url"),
        ({"type": "colour"}, "'colour' is not one of", "SearchParameter.type"),
        ({"base": "Patient"}, "a list is required", "SearchParameter.base"),
        ({"code": "eye colour"}, "not a valid search parameter name", "SearchParameter.code"),
        ({"base": []}, "at least one base", "SearchParameter.base"),
        ({"base": ["Spaceship"]}, "unknown base value(s): Spaceship", "SearchParameter.base"),
        ({"type": "special"}, "special cannot be indexed", "SearchParameter.type"),
        ({"target": ["Patient"]}, "target is only allowed", "SearchParameter.target"),
        ({"type": "reference", "target": ["Nope"]}, "unknown target", "SearchParameter.target"),
        ({"comparator": ["about"]}, "unknown comparator", "SearchParameter.comparator"),
        ({"modifier": ["fuzzy"]}, "unknown modifier", "SearchParameter.modifier"),
        ({"expression": None}, "an expression is required", "SearchParameter.expression"),
        ({"expression": "Patient.name.("}, "syntax error", "SearchParameter.expression"),
        ({"expression": "Observation.code"}, "is for Observation", "SearchParameter.expression"),
        (
            {"expression": "Patient.name.soundex()"},
            "does not evaluate",
            "SearchParameter.expression",
        ),
        ({"type": "composite"}, "needs components", "SearchParameter.component"),
        (
            {"expression": "Patient.nmae"},
            "Patient.nmae is not an element",
            "SearchParameter.expression",
        ),
        (
            {"expression": "Patient.name.given.first"},
            "string.first is not an element",
            "SearchParameter.expression",
        ),
    ],
)
def test_invalid_custom_parameter_is_refused(
    changes: dict[str, Any], message: str, element: str
) -> None:
    with pytest.raises(Unprocessable) as raised:
        default_registry().with_custom(custom(**changes))
    assert message in raised.value.message
    assert raised.value.nv_code == error_codes.RESOURCE_INVALID
    assert raised.value.expression == (element,)
    assert raised.value.status == 422


@pytest.mark.parametrize(
    ("component", "message"),
    [
        ({"definition": "http://example.org/none", "expression": "code"}, "not a known parameter"),
        (
            {
                "definition": "http://hl7.org/fhir/SearchParameter/Observation-code-value-quantity",
                "expression": "code",
            },
            "is a composite parameter",
        ),
        (
            {"definition": "http://hl7.org/fhir/SearchParameter/clinical-code", "expression": "("},
            "syntax error",
        ),
    ],
)
def test_invalid_composite_component_is_refused(component: dict[str, str], message: str) -> None:
    registry: SearchRegistry = default_registry()
    resource = custom(
        type="composite", base=["Observation"], expression="Observation", component=[component]
    )
    with pytest.raises(Unprocessable, match=message):
        registry.with_custom(resource)
