"""Rendering an interaction rule as a FHIR R4B ClinicalUseDefinition (type ``interaction``).

R4B's ``ClinicalUseDefinition.interaction`` has interactants, type, effect, incidence and
management but no severity, mechanism, timing, citation or review elements, so those travel in
extensions defined by this project (``EXTENSION_BASE``). The food interactant is coded in our
food-group code system; a drug interactant carries its RxNorm ingredient code where one is
recorded, and a class interactant our drug-class code.
"""

from __future__ import annotations

from typing import Any

from terminology.interactions.knowledge import KnowledgeBase, knowledge_base
from terminology.interactions.models import InteractionRule, ReviewStatus

BASE = "https://nutrivision.example.org/fhir"
EXTENSION_BASE = f"{BASE}/StructureDefinition"
RULE_SYSTEM = f"{BASE}/NamingSystem/interaction-rule"
FOOD_GROUP_SYSTEM = f"{BASE}/CodeSystem/interaction-food-group"
DRUG_CLASS_SYSTEM = f"{BASE}/CodeSystem/drug-class"
INGREDIENT_SYSTEM = f"{BASE}/CodeSystem/drug-ingredient"
INTERACTION_TYPE_SYSTEM = f"{BASE}/CodeSystem/interaction-type"
EVIDENCE_SYSTEM = f"{BASE}/CodeSystem/interaction-evidence"
RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
PUBLICATION_STATUS_SYSTEM = "http://hl7.org/fhir/publication-status"
_PUBLICATION_STATUS: dict[ReviewStatus, str] = {
    "draft": "draft",
    "reviewed": "active",
    "retired": "retired",
}


def clinical_use_definition(
    rule: InteractionRule, kb: KnowledgeBase | None = None
) -> dict[str, Any]:
    """The rule as ClinicalUseDefinition JSON (FHIR R4B), ready to store or serve."""
    kb = kb or knowledge_base()
    status = _PUBLICATION_STATUS[rule.review.status]
    return {
        "resourceType": "ClinicalUseDefinition",
        "id": rule.id,
        "extension": _extensions(rule),
        "identifier": [{"system": RULE_SYSTEM, "value": rule.id}],
        "type": "interaction",
        "category": [_concept(INTERACTION_TYPE_SYSTEM, "food-drug", "Food-drug interaction")],
        "status": {
            "coding": [{"system": PUBLICATION_STATUS_SYSTEM, "code": status}],
            "text": rule.review.status,
        },
        "interaction": {
            "interactant": _food_interactants(rule, kb) + _drug_interactants(rule, kb),
            "type": _concept(INTERACTION_TYPE_SYSTEM, "drug-food", "Drug-food interaction"),
            "effect": {"concept": {"text": rule.effect}},
            "incidence": _concept(EVIDENCE_SYSTEM, rule.evidence, rule.evidence_note or None),
            "management": [{"text": text} for text in (rule.management, rule.timing) if text],
        },
    }


def _concept(system: str, code: str, display: str | None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    concept: dict[str, Any] = {"coding": [coding]}
    if display:
        concept["text"] = display
    return concept


def _food_interactants(rule: InteractionRule, kb: KnowledgeBase) -> list[dict[str, Any]]:
    return [
        {"itemCodeableConcept": _concept(FOOD_GROUP_SYSTEM, g, kb.food_groups[g].label)}
        for g in rule.food_groups
    ]


def _drug_interactants(rule: InteractionRule, kb: KnowledgeBase) -> list[dict[str, Any]]:
    items = []
    for name in rule.drug_ingredients:
        coding = [{"system": INGREDIENT_SYSTEM, "code": name, "display": name}]
        rxnorm = kb.ingredients[name].rxnorm
        if rxnorm:
            coding.insert(0, {"system": RXNORM_SYSTEM, "code": rxnorm, "display": name})
        items.append({"itemCodeableConcept": {"coding": coding, "text": name}})
    for class_id in rule.drug_classes:
        concept = _concept(DRUG_CLASS_SYSTEM, class_id, kb.class_names[class_id])
        items.append({"itemCodeableConcept": concept})
    return items


def _extensions(rule: InteractionRule) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"url": f"{EXTENSION_BASE}/interaction-severity", "valueCode": rule.severity},
        {"url": f"{EXTENSION_BASE}/interaction-mechanism", "valueString": rule.mechanism},
    ]
    for name, text in (("interaction-timing", rule.timing), ("interaction-amount", rule.amount)):
        if text:
            out.append({"url": f"{EXTENSION_BASE}/{name}", "valueString": text})
    out += [
        {"url": f"{EXTENSION_BASE}/interaction-citation", "valueString": citation}
        for citation in rule.citations
    ]
    out.append(_review_extension(rule))
    return out


def _review_extension(rule: InteractionRule) -> dict[str, Any]:
    review = rule.review
    parts: list[dict[str, Any]] = [{"url": "status", "valueCode": review.status}]
    if review.reviewer:
        parts.append({"url": "reviewer", "valueString": review.reviewer})
    if review.review_date is not None:
        parts.append({"url": "date", "valueDate": review.review_date.isoformat()})
    return {"url": f"{EXTENSION_BASE}/interaction-review", "extension": parts}
