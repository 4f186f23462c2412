"""The Python status invariants answer as their FHIRPath does, and only where it holds.

Every combination of the elements the expressions read (clinical and verification status,
abatement, category) goes through both: the Python answer is True only where the expression
is true, and None (the expression decides) everywhere else, violations included.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from profiles_ig.checks import _holds
from profiles_ig.definitions import default_definitions
from profiles_ig.status_invariants import (
    ALLERGY_VERIFICATION,
    BY_EXPRESSION,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
)

KEYS = {"Condition": ("con-3", "con-4", "con-5"), "AllergyIntolerance": ("ait-1", "ait-2")}
CLINICAL = {
    "Condition": CONDITION_CLINICAL,
    "AllergyIntolerance": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
}
VERIFICATION = {"Condition": CONDITION_VERIFICATION, "AllergyIntolerance": ALLERGY_VERIFICATION}
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"


def _expressions(resource_type: str) -> dict[str, str]:
    structure = default_definitions().structure(resource_type)
    assert structure is not None
    return {
        constraint["key"]: constraint["expression"]
        for element in structure["snapshot"]["element"]
        for constraint in element.get("constraint", [])
        if constraint["key"] in KEYS[resource_type]
    }


def _concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _variants(resource_type: str) -> list[dict[str, Any]]:
    clinical, verification = CLINICAL[resource_type], VERIFICATION[resource_type]
    clinical_states = [
        None,
        _concept(clinical, "active"),
        _concept(clinical, "resolved"),
        _concept(clinical, "inactive"),
        _concept("http://example.org/other", "resolved"),
        {"text": "no coding"},
    ]
    verification_states = [
        None,
        _concept(verification, "confirmed"),
        _concept(verification, "entered-in-error"),
        _concept("http://example.org/other", "entered-in-error"),
        {"coding": [{"code": "entered-in-error"}]},
    ]
    abatements = [None, ("abatementDateTime", "2020-01-01"), ("abatementString", "gone")]
    categories = [
        None,
        [_concept(CATEGORY, "problem-list-item")],
        [_concept(CATEGORY, "encounter-diagnosis")],
    ]
    found = []
    for status, verified, abatement, category in itertools.product(
        clinical_states, verification_states, abatements, categories
    ):
        resource: dict[str, Any] = {"resourceType": resource_type, "id": "x"}
        if status is not None:
            resource["clinicalStatus"] = status
        if verified is not None:
            resource["verificationStatus"] = verified
        if abatement is not None and resource_type == "Condition":
            resource[abatement[0]] = abatement[1]
        if category is not None and resource_type == "Condition":
            resource["category"] = category
        found.append(resource)
    return found


def test_the_definitions_expressions_have_their_python() -> None:
    for resource_type in KEYS:
        for key, expression in _expressions(resource_type).items():
            assert expression in BY_EXPRESSION, key


@pytest.mark.parametrize("resource_type", list(KEYS))
def test_python_holds_only_where_the_expression_holds(resource_type: str) -> None:
    answered = 0
    for key, expression in _expressions(resource_type).items():
        native = BY_EXPRESSION[expression]
        for resource in _variants(resource_type):
            fast = native(resource)
            if fast is None:
                continue
            answered += 1
            assert fast is True
            assert _holds(expression, resource, resource_type, resource, resource) is True, (
                key,
                resource,
            )
    assert answered > 0


def test_an_active_condition_is_answered_in_python() -> None:
    condition = {
        "resourceType": "Condition",
        "clinicalStatus": _concept(CONDITION_CLINICAL, "active"),
        "verificationStatus": _concept(CONDITION_VERIFICATION, "confirmed"),
        "category": [{"text": "encounter-diagnosis"}],
    }
    for expression in _expressions("Condition").values():
        assert BY_EXPRESSION[expression](condition) is True


def test_a_violation_is_left_to_the_expression() -> None:
    abated = {
        "resourceType": "Condition",
        "clinicalStatus": _concept(CONDITION_CLINICAL, "active"),
        "abatementDateTime": "2020-01-01",
    }
    con_4 = _expressions("Condition")["con-4"]
    assert BY_EXPRESSION[con_4](abated) is None
    assert _holds(con_4, abated, "Condition", abated, abated) is False
