"""Condition-specific daily targets, each with its guideline.

- Hypertension (ICD-10-CM I10-I16): sodium below 1,500 mg/d and potassium 3,500-5,000 mg/d
  (2017 ACC/AHA guideline, with the DASH eating pattern); the potassium goal is not given
  when chronic kidney disease is also present.
- Type 2 diabetes (E11): carbohydrate individualised, no ideal percentage of energy (ADA
  Standards of Care 2025, section 5; consensus report 2019), fibre at least 14 g per 1,000 kcal
  and sodium below 2,300 mg/d (ADA 2025).
- Chronic kidney disease (N18): sodium below 2,300 mg/d (KDOQI 2020); potassium adjusted to
  keep serum potassium normal (KDOQI 2020); when it is restricted, 2,000-3,000 mg/d is the
  usual range, so 3,000 mg/d is given as the limit to be individualised by the care team.
"""

from __future__ import annotations

from collections.abc import Iterable

from terminology.dri.models import Target
from terminology.dri.tables import SOURCES

HYPERTENSION = "hypertension"
TYPE2_DIABETES = "type2_diabetes"
CKD = "ckd"
_ICD10_PREFIXES: tuple[tuple[str, str], ...] = (
    ("I10", HYPERTENSION), ("I11", HYPERTENSION), ("I12", HYPERTENSION),
    ("I13", HYPERTENSION), ("I15", HYPERTENSION), ("I16", HYPERTENSION),
    ("E11", TYPE2_DIABETES), ("N18", CKD),
)  # fmt: skip
_NAMES = {
    "hypertension": HYPERTENSION, "high blood pressure": HYPERTENSION,
    "type2_diabetes": TYPE2_DIABETES, "type 2 diabetes": TYPE2_DIABETES, "t2d": TYPE2_DIABETES,
    "ckd": CKD, "chronic kidney disease": CKD,
}  # fmt: skip


def normalise_conditions(conditions: Iterable[str]) -> frozenset[str]:
    """The known conditions among ICD-10-CM codes or names; others are ignored."""
    found: set[str] = set()
    for condition in conditions:
        text = condition.strip()
        code = text.upper().replace(".", "")
        for prefix, name in _ICD10_PREFIXES:
            if code.startswith(prefix):
                found.add(name)
        if text.lower() in _NAMES:
            found.add(_NAMES[text.lower()])
    # I12 and I13 are hypertensive chronic kidney disease: the kidney targets apply too.
    if any(c.upper().replace(".", "").startswith(("I12", "I13")) for c in conditions):
        found.add(CKD)
    return frozenset(found)


def _t(nutrient: str, kind: str, low: float | None, high: float | None, unit: str,
       source: str, condition: str, note: str = "") -> Target:  # fmt: skip
    return Target(nutrient, kind, low, high, unit, source, SOURCES[source], condition, note)


def condition_targets(conditions: frozenset[str], age_years: float) -> list[Target]:
    """Targets for the given normalised conditions (adult guidelines: from 18 years)."""
    if age_years < 18:
        return []
    targets: list[Target] = []
    if HYPERTENSION in conditions:
        note = "optimal goal below 1,500 mg/d; any reduction of 1,000 mg/d helps"
        targets.append(_t("sodium", "limit", None, 1500, "mg/d", "aha-2017", HYPERTENSION, note))
        if CKD not in conditions:
            note = "from food, unless kidney disease or drugs limit potassium"
            targets.append(
                _t("potassium", "goal", 3500, 5000, "mg/d", "aha-2017", HYPERTENSION, note)
            )
    if TYPE2_DIABETES in conditions:
        targets.append(_t("carbohydrate", "individualised", None, None, "g/d", "ada-2025",
                          TYPE2_DIABETES, "no ideal share of energy; reducing total "
                          "carbohydrate improves glycaemia; prefer fibre-rich, minimally "
                          "processed sources and avoid sugar-sweetened drinks"))  # fmt: skip
        targets.append(_t("fiber", "goal", 14, None, "g/(1000.kcal)", "ada-2025", TYPE2_DIABETES,
                          "at least 14 g per 1,000 kcal"))  # fmt: skip
        if HYPERTENSION not in conditions:
            targets.append(_t("sodium", "limit", None, 2300, "mg/d", "ada-2025", TYPE2_DIABETES))
    if CKD in conditions:
        targets.append(_t("potassium", "limit", None, 3000, "mg/d", "kdoqi-2020", CKD,
                          "adjust to keep serum potassium normal; 2,000-3,000 mg/d when "
                          "restricted; individualise with the care team"))  # fmt: skip
        if HYPERTENSION not in conditions:
            targets.append(_t("sodium", "limit", None, 2300, "mg/d", "kdoqi-2020", CKD))
    return targets
