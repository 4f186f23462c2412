"""An independent check of the FHIR R4B ClinicalUseDefinition shape, written from the spec.

``resources.model`` serves FHIR R4 types, and ClinicalUseDefinition exists only from R4B on,
so the resource-level structure is checked here element by element (R4B
clinicalusedefinition.html), and every datatype inside it (CodeableConcept, Coding,
Identifier, Extension) is validated by the real model library through ``Basic``, an R4 type
with the same datatypes.
"""

from __future__ import annotations

from typing import Any

from resources.model import validation_issues

RESOURCE_ELEMENTS = {
    "resourceType",
    "id",
    "meta",
    "implicitRules",
    "language",
    "text",
    "contained",
    "extension",
    "modifierExtension",
    "identifier",
    "type",
    "category",
    "subject",
    "status",
    "contraindication",
    "indication",
    "interaction",
    "population",
    "undesirableEffect",
    "warning",
}
TYPE_CODES = {"indication", "contraindication", "interaction", "undesirable-effect", "warning"}
INTERACTION_ELEMENTS = {"id", "extension", "modifierExtension", "interactant", "type", "effect"}
INTERACTION_ELEMENTS |= {"incidence", "management"}
INTERACTANT_ELEMENTS = {"id", "extension", "modifierExtension", "itemReference"}
INTERACTANT_ELEMENTS |= {"itemCodeableConcept"}


def _concept_problems(value: Any, path: str) -> list[str]:
    issues = validation_issues({"resourceType": "Basic", "code": value})
    return [f"{path}: {issue.diagnostics}" for issue in issues]


def _interaction_problems(interaction: Any) -> list[str]:
    if not isinstance(interaction, dict):
        return ["interaction: not an object"]
    problems = [f"interaction.{k}: unknown" for k in interaction if k not in INTERACTION_ELEMENTS]
    for index, item in enumerate(interaction.get("interactant", [])):
        path = f"interaction.interactant[{index}]"
        problems += [f"{path}.{k}: unknown" for k in item if k not in INTERACTANT_ELEMENTS]
        items = [k for k in item if k in ("itemReference", "itemCodeableConcept")]
        if len(items) != 1:
            problems.append(f"{path}: item[x] is 1..1")
        if "itemCodeableConcept" in item:
            problems += _concept_problems(item["itemCodeableConcept"], path)
    for name in ("type", "incidence"):
        if name in interaction:
            problems += _concept_problems(interaction[name], f"interaction.{name}")
    for index, concept in enumerate(interaction.get("management", [])):
        problems += _concept_problems(concept, f"interaction.management[{index}]")
    effect = interaction.get("effect", {})
    problems += [f"interaction.effect.{k}: unknown" for k in effect if k not in {"concept"}]
    if "concept" in effect:
        problems += _concept_problems(effect["concept"], "interaction.effect.concept")
    return problems


def shape_problems(doc: dict[str, Any]) -> list[str]:
    """Every deviation of ``doc`` from the R4B ClinicalUseDefinition shape; [] when valid."""
    problems = [f"{k}: unknown element" for k in doc if k not in RESOURCE_ELEMENTS]
    if doc.get("resourceType") != "ClinicalUseDefinition":
        problems.append("resourceType: expected ClinicalUseDefinition")
    if doc.get("type") not in TYPE_CODES:
        problems.append(f"type: {doc.get('type')!r} is not a ClinicalUseDefinition type")
    for index, concept in enumerate(doc.get("category", [])):
        problems += _concept_problems(concept, f"category[{index}]")
    if "status" in doc:
        problems += _concept_problems(doc["status"], "status")
    if "interaction" in doc:
        problems += _interaction_problems(doc["interaction"])
    basic = {
        "resourceType": "Basic",
        "id": doc.get("id"),
        "code": {"text": "carrier"},
        "extension": doc.get("extension"),
        "identifier": doc.get("identifier"),
    }
    carrier = {key: value for key, value in basic.items() if value is not None}
    problems += [f"id/extension/identifier: {i.diagnostics}" for i in validation_issues(carrier)]
    return problems
