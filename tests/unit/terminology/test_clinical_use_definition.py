"""Every rule renders as a valid FHIR R4B ClinicalUseDefinition that keeps its evidence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from resources.model import is_served_type, validation_issues
from terminology.interactions.fhir import (
    EXTENSION_BASE,
    RXNORM_SYSTEM,
    clinical_use_definition,
)
from terminology.interactions.knowledge import knowledge_base
from terminology.interactions.models import InteractionRule, Review
from tests.unit.terminology.fhir_shape import shape_problems


def _rule(rule_id: str) -> InteractionRule:
    return next(rule for rule in knowledge_base().rules if rule.id == rule_id)


def _extension(doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [e for e in doc["extension"] if e["url"] == f"{EXTENSION_BASE}/{name}"]


@pytest.mark.parametrize("rule", knowledge_base().rules, ids=lambda rule: rule.id)
def test_every_rule_renders_a_valid_clinical_use_definition(rule: InteractionRule) -> None:
    doc = clinical_use_definition(rule)
    assert shape_problems(doc) == []
    if is_served_type("ClinicalUseDefinition"):  # once the model facade serves R4B types
        assert validation_issues(doc) == []
    assert doc["type"] == "interaction"
    assert len(_extension(doc, "interaction-citation")) == len(rule.citations)


def test_the_shape_check_catches_mistakes() -> None:
    doc = clinical_use_definition(_rule("grapefruit-simvastatin"))
    broken = {**doc, "type": "food-warning", "severity": "major"}
    broken["interaction"] = {**doc["interaction"], "interactant": [{"itemString": "x"}]}
    broken["status"] = {"coding": [{"system": "not a uri", "code": ""}]}
    problems = shape_problems(broken)
    assert any(p.startswith("severity") for p in problems)
    assert any(p.startswith("type") for p in problems)
    assert any("item[x] is 1..1" in p for p in problems)
    assert any(p.startswith("status") for p in problems)


def test_the_rendering_keeps_interactants_severity_and_review() -> None:
    doc = clinical_use_definition(_rule("grapefruit-simvastatin"))
    interactants = doc["interaction"]["interactant"]
    food, drug = interactants
    assert food["itemCodeableConcept"]["coding"][0]["code"] == "grapefruit"
    assert drug["itemCodeableConcept"]["coding"][0] == {
        "system": RXNORM_SYSTEM,
        "code": "36567",
        "display": "simvastatin",
    }
    assert _extension(doc, "interaction-severity") == [
        {"url": f"{EXTENSION_BASE}/interaction-severity", "valueCode": "major"}
    ]
    assert doc["status"]["coding"][0]["code"] == "draft"
    [review] = _extension(doc, "interaction-review")
    assert review["extension"] == [{"url": "status", "valueCode": "draft"}]
    assert doc["interaction"]["management"][0]["text"].startswith("Avoid grapefruit")


def test_a_reviewed_rule_is_active_and_signed() -> None:
    rule = _rule("vitamin-k-vka").model_copy(
        update={
            "review": Review(
                status="reviewed", reviewer="A. Pharmacist, PharmD", review_date=dt.date(2025, 3, 1)
            )
        }
    )
    doc = clinical_use_definition(rule)
    assert shape_problems(doc) == []
    assert doc["status"]["coding"][0]["code"] == "active"
    [review] = _extension(doc, "interaction-review")
    assert {"url": "date", "valueDate": "2025-03-01"} in review["extension"]
    interactant_codes = [
        i["itemCodeableConcept"]["coding"][0]["code"] for i in doc["interaction"]["interactant"]
    ]
    assert interactant_codes == ["vitamin_k", "vitamin_k_antagonists"]


def test_an_ingredient_without_rxnorm_is_coded_in_our_system_only() -> None:
    doc = clinical_use_definition(_rule("grapefruit-lovastatin"))
    drug = doc["interaction"]["interactant"][1]["itemCodeableConcept"]
    assert [c["system"].rsplit("/", 1)[-1] for c in drug["coding"]] == ["drug-ingredient"]
