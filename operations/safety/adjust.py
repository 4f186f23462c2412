"""Amount- and timing-dependent rules: when the amount or the spacing changes the severity.

Each entry restates what the cited label or guideline says; the rules themselves keep their
severity, management and timing text (``terminology/interactions/data/rules.json``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from operations.safety.foods import volume_in_text
from operations.safety.model import FoodInput, MedicationInput, Severity


@dataclass(frozen=True)
class AmountRule:
    """Above ``above_ml`` of the food a day, the finding is ``severity``."""

    above_ml: float
    severity: Severity
    why: str


@dataclass(frozen=True)
class Separation:
    """The interaction is avoided when the drug is taken ``before_h`` hours before the food,
    or ``after_h`` hours after it."""

    before_h: float
    after_h: float


AMOUNTS: dict[str, AmountRule] = {
    # Lipitor label 7.x: 'excessive quantities of grapefruit juice (>1.2 liters daily)'.
    "grapefruit-atorvastatin": AmountRule(
        1200.0, "high", "more than 1.2 litres of grapefruit juice a day (Lipitor label)"
    ),
}

SEPARATIONS: dict[str, Separation] = {
    "dairy-tetracycline": Separation(1.0, 2.0),
    "dairy-doxycycline-minocycline": Separation(2.0, 2.0),
    "minerals-tetracyclines": Separation(3.0, 3.0),
    "dairy-ciprofloxacin-norfloxacin": Separation(2.0, 6.0),
    "minerals-fluoroquinolones": Separation(4.0, 8.0),
    "minerals-levothyroxine": Separation(4.0, 4.0),
    "binders-levothyroxine": Separation(4.0, 4.0),
    "coffee-levothyroxine": Separation(1.0, 4.0),
    "dairy-antacid-bisacodyl": Separation(1.0, 1.0),
}


@dataclass(frozen=True)
class DoseRule:
    """At or below ``max_mg`` (in a text that ``context`` words mark as this form), the
    finding is ``severity``."""

    max_mg: float
    context: tuple[str, ...]
    severity: Severity
    why: str


DOSES: dict[str, DoseRule] = {
    # Emsam label: no dietary modification at 6 mg/24 h; 9 and 12 mg/24 h need the diet.
    # Only lowered to moderate (not cleared): the dose may be raised without a new record.
    "tyramine-selegiline": DoseRule(
        6.0,
        ("24 h", "24h", "24 hr", "24hr", "/24", "patch", "transdermal", "emsam"),
        "moderate",
        "transdermal selegiline 6 mg/24 h needs no tyramine diet (Emsam label)",
    ),
}
_MG = re.compile(r"(\d+(?:[.,]\d+)?)\s*mg\b", re.IGNORECASE)


def by_dose(rule_id: str, severity: Severity, medication: MedicationInput) -> tuple[Severity, str]:
    """The severity after the dose, when the rule's label ties the interaction to it."""
    rule = DOSES.get(rule_id)
    text = f"{medication.text} {medication.dose}".lower()
    found = _MG.search(text)
    if rule is None or found is None or not any(word in text for word in rule.context):
        return severity, ""
    if float(found.group(1).replace(",", ".")) > rule.max_mg:
        return severity, ""
    return rule.severity, f"lowered to {rule.severity}: {rule.why}; dose '{found.group(0)}'"


def by_amount(
    rule_id: str, severity: Severity, foods: tuple[FoodInput, ...]
) -> tuple[Severity, str]:
    """The severity after the amount eaten or drunk, and why it changed ('' if it did not)."""
    amount = AMOUNTS.get(rule_id)
    total = sum(_volume(food) or 0.0 for food in foods)
    if amount is None or total <= amount.above_ml:
        return severity, ""
    return amount.severity, f"raised to {amount.severity}: {amount.why}; logged {total:.0f} mL"


def by_timing(
    rule_id: str,
    severity: Severity,
    foods: tuple[FoodInput, ...],
    medications: tuple[MedicationInput, ...],
) -> tuple[Severity, str]:
    """``low`` when every food and dose time is known and spaced as the rule advises."""
    separation = SEPARATIONS.get(rule_id)
    if separation is None:
        return severity, ""
    hours = [(f.hour, m.hour) for f in foods for m in medications]
    if not hours or any(food is None or drug is None for food, drug in hours):
        return severity, ""
    if all(
        _spaced(food, drug, separation)
        for food, drug in hours
        if food is not None and drug is not None
    ):
        return "low", "lowered to low: the dose and the food are spaced as advised"
    return severity, ""


def _volume(food: FoodInput) -> float | None:
    return food.volume_ml if food.volume_ml is not None else volume_in_text(food.text)


def _spaced(food: float, drug: float, separation: Separation) -> bool:
    gap = (food - drug + 12.0) % 24.0 - 12.0  # hours from the dose to the food, in (-12, 12]
    return gap >= separation.before_h or -gap >= separation.after_h
