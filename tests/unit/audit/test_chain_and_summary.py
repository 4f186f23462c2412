"""The hash of a chain link, and what the emergency summary keeps."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_server.audit.chain import GENESIS, canonical, link_hash
from operations.emergency_info import in_summary


def test_the_hash_depends_on_content_position_and_predecessor_not_key_order() -> None:
    event = {"b": 1, "a": [1, 2], "c": {"y": "é", "x": None}}
    reordered = {"c": {"x": None, "y": "é"}, "a": [1, 2], "b": 1}
    first = link_hash(GENESIS, 1, event)
    assert link_hash(GENESIS, 1, reordered) == first
    assert canonical(event) == '{"a":[1,2],"b":1,"c":{"x":null,"y":"é"}}'
    assert link_hash(GENESIS, 2, event) != first
    assert link_hash(first, 1, event) != first
    assert link_hash(GENESIS, 1, {**event, "b": 2}) != first


def _concept(code: str) -> dict[str, Any]:
    return {"coding": [{"code": code}]}


@pytest.mark.parametrize(
    ("resource", "kept"),
    [
        ({"resourceType": "AllergyIntolerance"}, True),
        ({"resourceType": "AllergyIntolerance", "clinicalStatus": _concept("inactive")}, True),
        ({"resourceType": "AllergyIntolerance", "verificationStatus": _concept("refuted")}, False),
        (
            {
                "resourceType": "AllergyIntolerance",
                "verificationStatus": _concept("entered-in-error"),
            },
            False,
        ),
        ({"resourceType": "Condition", "clinicalStatus": _concept("active")}, True),
        ({"resourceType": "Condition", "clinicalStatus": _concept("relapse")}, True),
        ({"resourceType": "Condition", "clinicalStatus": _concept("resolved")}, False),
        ({"resourceType": "Condition"}, False),
        ({"resourceType": "MedicationStatement", "status": "active"}, True),
        ({"resourceType": "MedicationStatement", "status": "completed"}, False),
        ({"resourceType": "MedicationRequest", "status": "active"}, True),
        ({"resourceType": "MedicationRequest", "status": "cancelled"}, False),
        ({"resourceType": "RelatedPerson"}, True),
        ({"resourceType": "RelatedPerson", "active": False}, False),
        ({"resourceType": "Consent", "status": "active", "scope": _concept("adr")}, True),
        ({"resourceType": "Consent", "status": "active", "category": [_concept("acd")]}, True),
        ({"resourceType": "Consent", "status": "inactive", "scope": _concept("adr")}, False),
        (
            {"resourceType": "Consent", "status": "active", "scope": _concept("patient-privacy")},
            False,
        ),
        ({"resourceType": "Observation"}, False),
    ],
)
def test_what_the_emergency_summary_keeps(resource: dict[str, Any], kept: bool) -> None:
    assert in_summary(resource) is kept
