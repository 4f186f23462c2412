"""Daily intake over the period, targets for the patient, trends and data quality.

A log's source (text, image or voice) is the ``log-source`` extension of the NutritionIntake
(an intake derived from a Media counts as image), and the user's confirmation of what was
logged is the ``user-verified`` extension; logs without them count as unknown / unverified.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from operations.report.gather import Period
from operations.report.nutrients import REPORTED, UNITS, intake_nutrients
from terminology.dri import Target, normalise_conditions, targets_for

SOURCE_URL = "https://nutrivision.example.org/fhir/StructureDefinition/log-source"
VERIFIED_URL = "https://nutrivision.example.org/fhir/StructureDefinition/user-verified"
WINDOW = 7
KCAL_PER_G = {"protein": 4.0, "carbohydrate": 4.0, "fat": 9.0, "saturated_fat": 9.0}
"""Atwater factors, to compare a nutrient with a target in % of energy."""
# A citation's closing remark ("(recommendations on sodium below 1500 mg/d ...)") restates
# the targets; the report shows them itself.
_NOTE = re.compile(r"\s*\([^()]*\)$")
# Condition guidelines are for adults: without a birth date they are still applied.
_ADULT = 18


def _day(intake: dict[str, Any]) -> date | None:
    when = intake.get("occurrenceDateTime") or (intake.get("occurrencePeriod") or {}).get("start")
    return date.fromisoformat(str(when)[:10]) if when else None


def daily(intakes: list[dict[str, Any]], period: Period) -> list[dict[str, Any]]:
    """One row per day: totals per nutrient and the intakes they sum (empty on unlogged days)."""
    rows = {d: {"date": d.isoformat(), "totals": {}, "intakes": []} for d in period.days}
    for intake in intakes:
        day = _day(intake)
        if day not in rows or intake.get("status") in ("entered-in-error", "not-done"):
            continue
        row: dict[str, Any] = rows[day]
        row["intakes"].append(f"NutritionIntake/{intake['id']}")
        values, _ = intake_nutrients(intake)
        for key, value in values.items():
            row["totals"][key] = round(row["totals"].get(key, 0.0) + value, 3)
    return list(rows.values())


def averages(days: list[dict[str, Any]]) -> dict[str, float]:
    """The mean daily amount of each nutrient over the days with logs."""
    logged = [d for d in days if d["intakes"]]
    if not logged:
        return {}
    return {
        key: round(sum(d["totals"].get(key, 0.0) for d in logged) / len(logged), 1)
        for key, _, _ in REPORTED
    }


def _sex_age(
    patient: dict[str, Any], on: date
) -> tuple[Literal["male", "female"] | None, int | None]:
    birth = patient.get("birthDate")
    age = None
    if birth and len(str(birth)) >= 10:
        born = date.fromisoformat(str(birth)[:10])
        age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    sex = patient.get("gender")
    return ("male" if sex == "male" else "female" if sex == "female" else None), age


def _comparator(target: Target) -> tuple[str, float | None, float | None]:
    """(comparator, value, high) of a target row from the DRI target's kind and bounds."""
    if target.kind == "individualised" or (target.low is None and target.high is None):
        return "individualized", None, None
    if target.low is not None and target.high is not None:
        return "range", target.low, target.high
    if target.low is not None:
        return ">=", target.low, None
    return "<=", target.high, None


def _row(target: Target, basis: str) -> dict[str, Any]:
    comparator, value, high = _comparator(target)
    row: dict[str, Any] = {
        "kind": "condition" if target.condition else target.kind.upper(),
        "comparator": comparator,
        "value": value,
        "unit": target.unit,
        "source": _NOTE.sub("", target.citation),
        "source_id": target.source,
        "basis": basis,
    }
    if high is not None:
        row["high"] = high
    if target.note:
        row["note"] = target.note
    return row


def targets(
    patient: dict[str, Any], icd10cm_codes: list[str], on: date
) -> dict[str, list[dict[str, Any]]]:
    """Targets per nutrient: DRIs for the patient's age and sex, then condition targets
    (``terminology.dri``), each row naming its source."""
    sex, age = _sex_age(patient, on)
    found: dict[str, list[dict[str, Any]]] = {}
    # An unknown sex takes the stricter of the male and female values (terminology.dri).
    chosen = targets_for(age if age is not None else _ADULT, sex or "unknown", icd10cm_codes)
    for target in chosen:
        if target.nutrient not in UNITS or (age is None and target.condition is None):
            continue
        if target.condition:
            codes = [c for c in icd10cm_codes if target.condition in normalise_conditions([c])]
            basis = f"{target.condition} ({', '.join(codes)}), {target.kind}"
        else:
            basis = f"{target.kind.upper()}, {sex or 'sex unknown'}, {age} y"
        found.setdefault(target.nutrient, []).append(_row(target, basis))
    return found


def assess(target: dict[str, Any], mean: dict[str, float], nutrient: str) -> str:
    """met, not met or individualized, for the mean daily intake."""
    comparator, value = target["comparator"], target.get("value")
    if comparator == "individualized" or value is None or not mean:
        return "individualized" if comparator == "individualized" else "no data"
    amount = mean.get(nutrient, 0.0)
    energy = mean.get("energy", 0.0)
    if target["unit"] == "g/(1000.kcal)":
        amount = amount * 1000 / energy if energy else 0.0
    elif target["unit"] == "%":
        if not energy or nutrient not in KCAL_PER_G:
            return "no data"
        amount = amount * KCAL_PER_G[nutrient] * 100 / energy
    ok = {
        ">=": amount >= value,
        "<=": amount <= value,
        "<": amount < value,
        "range": value <= amount <= (target.get("high") or value),
    }[comparator]
    return "met" if ok else "not met"


def moving_average(values: list[float | None], window: int = WINDOW) -> list[float | None]:
    """Trailing mean over the last ``window`` days with data (None until one exists)."""
    out: list[float | None] = []
    for n in range(len(values)):
        seen = [v for v in values[max(0, n - window + 1) : n + 1] if v is not None]
        out.append(round(sum(seen) / len(seen), 1) if seen else None)
    return out


def trends(days: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per nutrient: the 7-day moving average and its change from the first to the last."""
    out: dict[str, dict[str, Any]] = {}
    for key, _, _ in REPORTED:
        values = [d["totals"].get(key, 0.0) if d["intakes"] else None for d in days]
        moving = moving_average(values)
        known = [m for m in moving if m is not None]
        change = round(known[-1] - known[0], 1) if known else None
        out[key] = {"moving_average": moving, "change": change}
    return out


def quality(intakes: list[dict[str, Any]], days: list[dict[str, Any]]) -> dict[str, Any]:
    """Days without logs, share of logs by source, share verified by the user."""
    counted = [i for d in days for i in d["intakes"]]
    by_id = {f"NutritionIntake/{i['id']}": i for i in intakes}
    sources: dict[str, int] = {"text": 0, "image": 0, "voice": 0, "unknown": 0}
    verified = 0
    for reference in counted:
        intake = by_id[reference]
        sources[_source(intake)] += 1
        verified += any(
            e.get("url") == VERIFIED_URL and e.get("valueBoolean") is True
            for e in intake.get("extension", [])
        )
    total = len(counted)
    return {
        "days": len(days),
        "days_without_logs": sum(1 for d in days if not d["intakes"]),
        "logs": total,
        "by_source": {k: round(100 * v / total, 1) if total else 0.0 for k, v in sources.items()},
        "verified": round(100 * verified / total, 1) if total else 0.0,
    }


def _source(intake: dict[str, Any]) -> str:
    for extension in intake.get("extension", []):
        if extension.get("url") == SOURCE_URL and extension.get("valueCode") in (
            "text",
            "image",
            "voice",
        ):
            return str(extension["valueCode"])
    if any("Media/" in str(d.get("reference", "")) for d in intake.get("derivedFrom", [])):
        return "image"
    return "unknown"
