"""The absent-element pre-check skips only branches that cannot give a value."""

from __future__ import annotations

import pytest

from resources.search.fhirpath import CompiledPath, compile_path
from resources.search.presence import has_element, required_element


@pytest.mark.parametrize(
    ("branch", "element"),
    [
        ("Patient.telecom.where(system='phone')", "telecom"),
        ("(Observation.value as Quantity)", "value"),
        ("Observation.value.ofType(Quantity)", "value"),
        ("Patient.link.other.where(resolve() is Patient)", "link"),
        ("Patient.deceased.exists() and Patient.deceased != false", None),
        ("Patient.active = true", None),
        ("Observation.code.coding.where(code = 'x').exists()", None),
        ("iif(Patient.active, 'a', 'b')", None),
        ("Condition.abatement.empty()", None),
        ("Observation.value is Quantity", None),
        ("component.code", None),
    ],
)
def test_required_element(branch: str, element: str | None) -> None:
    assert required_element(branch) == element


def test_has_element_sees_choice_types_and_primitive_extensions() -> None:
    resource = {"resourceType": "Observation", "valueQuantity": {"value": 1}, "_status": {}}
    assert has_element(resource, "value")
    assert has_element(resource, "status")
    assert not has_element(resource, "valueSet")
    assert not has_element(resource, "code")


def test_an_absent_element_answers_empty_and_a_boolean_expression_still_runs() -> None:
    patient = {"resourceType": "Patient", "id": "p"}
    assert compile_path("Patient.telecom.where(system='phone')").evaluate(patient, patient) == []
    deceased = "Patient.deceased.exists() and Patient.deceased != false"
    fast = [node.value for node in compile_path(deceased).evaluate(patient, patient)]
    slow = [node.value for node in CompiledPath(deceased, fast=False).evaluate(patient, patient)]
    assert fast == slow == [False]
