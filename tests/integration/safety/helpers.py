"""Small builders for the safety tests: Parameters bodies and the findings of an answer."""

from __future__ import annotations

from typing import Any

import httpx

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"


def parameters(**lists: list[Any]) -> dict[str, Any]:
    """A Parameters body: strings become ``valueString``, dicts are taken as they are."""
    entries: list[dict[str, Any]] = []
    for name, values in lists.items():
        for value in values:
            if isinstance(value, str):
                entries.append({"name": name, "valueString": value})
            else:
                entries.append({"name": name, **value})
    return {"resourceType": "Parameters", "parameter": entries}


def findings(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The DetectedIssues of a ``$interaction-check`` answer."""
    return [p["resource"] for p in body["parameter"] if p["name"] == "finding"]


def unrecognised(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, text) of every unrecognised input."""
    out = []
    for p in body["parameter"]:
        if p["name"] == "unrecognised":
            parts = {part["name"]: part for part in p["part"]}
            out.append((parts["kind"]["valueCode"], parts["text"]["valueString"]))
    return out


def rule_codes(issues: list[dict[str, Any]]) -> set[str]:
    """The rule codes the DetectedIssues' evidence names."""
    return {
        coding["code"]
        for issue in issues
        for evidence in issue["evidence"]
        for concept in evidence["code"]
        for coding in concept.get("coding", [])
    }


def post_check(
    client: httpx.Client, body: dict[str, Any], path: str = "/$interaction-check"
) -> dict[str, Any]:
    """POST a check; asserts 200 and returns the Parameters."""
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert answer["resourceType"] == "Parameters"
    return answer


def create(client: httpx.Client, resource: dict[str, Any]) -> dict[str, Any]:
    """Create a resource; asserts 201."""
    response = client.post(f"/{resource['resourceType']}", json=resource)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def statement(patient: str, text: str, code: str = "", status: str = "active") -> dict[str, Any]:
    """A MedicationStatement for ``patient`` (a Synthea-style RxNorm coding when ``code``)."""
    concept: dict[str, Any] = {"text": text}
    if code:
        concept["coding"] = [{"system": RXNORM, "code": code, "display": text}]
    return {
        "resourceType": "MedicationStatement",
        "status": status,
        "medicationCodeableConcept": concept,
        "subject": {"reference": patient},
    }


def allergy(patient: str, text: str, code: str = "") -> dict[str, Any]:
    """An active, confirmed food AllergyIntolerance for ``patient``."""
    concept: dict[str, Any] = {"text": text}
    if code:
        concept["coding"] = [{"system": SNOMED, "code": code, "display": text}]
    return {
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                    "code": "active",
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                    "code": "confirmed",
                }
            ]
        },
        "category": ["food"],
        "criticality": "high",
        "code": concept,
        "patient": {"reference": patient},
    }


def intake(patient: str, *foods: str) -> dict[str, Any]:
    """A completed NutritionIntake of ``foods`` (free text) for ``patient``."""
    return {
        "resourceType": "NutritionIntake",
        "status": "completed",
        "subject": {"reference": patient},
        "occurrenceDateTime": "2026-01-15T12:30:00+00:00",
        "consumedItem": [
            {"type": {"text": "food"}, "nutritionProduct": {"concept": {"text": food}}}
            for food in foods
        ],
    }
