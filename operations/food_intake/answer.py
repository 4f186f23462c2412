"""The ``$analyze-food`` answer: the intake, its items, findings, what was not recognised.

Parameters: ``intake`` (the NutritionIntake), ``confidence`` (overall), one ``item`` per food
(reference, text, grams, household amount, confidence, nutrients), one ``finding`` per
DetectedIssue of the patient's check, one ``unrecognised`` per phrase or detection no food
matched (text and, for text, its span), and ``outcome``.
"""

from __future__ import annotations

from typing import Any

from operations.food_intake.intake import household
from operations.food_intake.items import IntakeItem, Recognised, Unrecognised
from operations.safety.model import CheckResult
from operations.safety.render import detected_issue, warning
from resources import error_codes
from resources.errors import Issue, operation_outcome

UCUM = "http://unitsofmeasure.org"


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": round(value, 3), "unit": unit, "system": UCUM, "code": unit}


def item_parameter(item: IntakeItem) -> dict[str, Any]:
    """One ``item`` with its parts."""
    parts: list[dict[str, Any]] = [
        {"name": "text", "valueString": item.text},
        {"name": "name", "valueString": item.name},
    ]
    if item.food is not None:
        reference = {"reference": f"NutritionProduct/{item.food.id}", "display": item.food.name}
        parts.append({"name": "food", "valueReference": reference})
    if item.grams:
        parts.append({"name": "grams", "valueQuantity": _quantity(item.grams, "g")})
    parts += [
        {"name": "household", "valueString": household(item)},
        {"name": "portionBasis", "valueCode": item.basis},
        {"name": "confidence", "valueDecimal": item.confidence},
    ]
    parts += [
        {"name": "nutrient", "part": [
            {"name": "code", "valueCode": code},
            {"name": "amount", "valueQuantity": _quantity(a.value, a.unit)},
        ]}
        for code, a in item.nutrients.items()
    ]  # fmt: skip
    return {"name": "item", "part": parts}


def unrecognised_parameter(missed: Unrecognised) -> dict[str, Any]:
    """One ``unrecognised`` with its text and, for text, where it stands."""
    parts: list[dict[str, Any]] = [{"name": "text", "valueString": missed.text}]
    span = next((e for e in missed.evidence if e.start is not None), None)
    if span is not None and span.start is not None and span.end is not None:
        parts += [
            {"name": "start", "valueInteger": span.start},
            {"name": "end", "valueInteger": span.end},
        ]
    return {"name": "unrecognised", "part": parts}


def outcome(recognised: Recognised, check: CheckResult | None) -> dict[str, Any]:
    """Information when nothing was found, a warning per unrecognised phrase and finding."""
    issues: list[Issue] = []
    if not recognised.items:
        issues.append(Issue("information", "not-found", "No food was recognised in the input",
                            nv_code=error_codes.ANALYZE_FOOD_NOTHING_FOUND))  # fmt: skip
    issues += [
        Issue(
            "warning",
            "incomplete",
            f"Not recognised as a food: {m.text!r}",
            nv_code=error_codes.ANALYZE_FOOD_UNRECOGNISED,
        )
        for m in recognised.unrecognised
    ]
    if check is not None:
        issues += [warning(f) for f in check.findings]
    if not issues:
        count = len(recognised.items)
        issues.append(Issue("information", "informational", f"{count} food(s) recognised"))
    return operation_outcome(issues)


def answer(
    recognised: Recognised,
    intake: dict[str, Any] | None,
    check: CheckResult | None,
    patient: str | None,
) -> dict[str, Any]:
    """The whole answer."""
    params: list[dict[str, Any]] = []
    if intake is not None:
        params.append({"name": "intake", "resource": intake})
    params.append({"name": "confidence", "valueDecimal": round(recognised.confidence, 3)})
    params.append({"name": "source", "valueCode": recognised.source})
    params.append({"name": "model", "valueString": recognised.model})
    params += [item_parameter(i) for i in recognised.items]
    if check is not None:
        params += [{"name": "finding", "resource": detected_issue(f, patient)}
                   for f in check.findings]  # fmt: skip
    params += [unrecognised_parameter(m) for m in recognised.unrecognised]
    params.append({"name": "outcome", "resource": outcome(recognised, check)})
    return {"resourceType": "Parameters", "parameter": params}
