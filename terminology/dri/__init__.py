"""Daily intake targets: Dietary Reference Intakes by age and sex, and condition targets.

``targets_for(age_years, sex, conditions)`` returns every target that applies, each naming its
source. Conditions are given as ICD-10-CM codes (I10-I16 hypertension, E11 type 2 diabetes,
N18 chronic kidney disease) or as the names ``hypertension``, ``type2_diabetes``, ``ckd``.
For an unknown or other sex, intakes to reach take the higher of the male and female values
and limits the lower, so that neither is missed.
"""

from __future__ import annotations

from collections.abc import Iterable

from terminology.dri.conditions import condition_targets, normalise_conditions
from terminology.dri.models import LIMIT_KINDS, Target
from terminology.dri.tables import AMDR, SOURCES, TABLES, amdr_index, band_index


def _pick(male: float | None, female: float | None, sex: str, limit: bool) -> float | None:
    if sex == "male":
        return male
    if sex == "female":
        return female
    present = [v for v in (male, female) if v is not None]
    if not present:
        return None
    return min(present) if limit else max(present)


def dri_targets(age_years: float, sex: str) -> list[Target]:
    """The general DRIs (RDA/AI, UL, CDRR, AMDR) for an age in years and a sex."""
    band = band_index(age_years)
    sex = sex.lower()
    targets: list[Target] = []
    for table in TABLES:
        limit = table.kind in LIMIT_KINDS
        value = _pick(table.male[band], table.female[band], sex, limit)
        if value is None:
            continue
        low, high = (None, value) if limit else (value, None)
        targets.append(
            Target(table.nutrient, table.kind, low, high, table.unit, table.source,
                   SOURCES[table.source])
        )  # fmt: skip
    for nutrient, ranges in AMDR.items():
        low, high = ranges[amdr_index(age_years)]
        targets.append(Target(nutrient, "amdr", low, high, "%", "iom-2005", SOURCES["iom-2005"]))
    targets.append(
        Target("saturated_fat", "limit", None, 10, "%", "dga-2020", SOURCES["dga-2020"],
               note="less than 10% of energy from saturated fat (from age 2)")
    )  # fmt: skip
    return targets


def targets_for(age_years: float, sex: str, conditions: Iterable[str] = ()) -> list[Target]:
    """General DRIs plus condition targets; a condition target replaces the general one of
    the same nutrient and direction (a stricter sodium limit replaces the CDRR)."""
    general = dri_targets(age_years, sex)
    specific = condition_targets(normalise_conditions(conditions), age_years)
    replaced = {(t.nutrient, t.kind in LIMIT_KINDS) for t in specific if t.kind != "individualised"}
    kept = [
        t
        for t in general
        if (t.nutrient, t.kind in LIMIT_KINDS) not in replaced
        and not any(_contradicts(limit, t) for limit in specific)
    ]
    return kept + specific


def _contradicts(limit: Target, general: Target) -> bool:
    # A condition limit below the general intake to reach (CKD potassium under the AI) wins.
    return (
        limit.nutrient == general.nutrient
        and limit.kind in LIMIT_KINDS
        and limit.high is not None
        and general.low is not None
        and general.kind not in ("amdr",)
        and limit.high < general.low
    )


__all__ = ["SOURCES", "Target", "dri_targets", "normalise_conditions", "targets_for"]
