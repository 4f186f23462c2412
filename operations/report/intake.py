"""Daily intake over the period, targets for the patient, trends and data quality.

A log's source (text, image or voice) is the ``log-source`` extension of the NutritionIntake
(an intake derived from a Media counts as image), and the user's confirmation of what was
logged is the ``user-verified`` extension; logs without them count as unknown / unverified.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from operations.report.gather import Period
from operations.report.nutrients import REPORTED, UNITS, intake_nutrients
from terminology.foods.intakes import condition_targets, intake_data, reference_intakes

SOURCE_URL = "https://nutrivision.example.org/fhir/StructureDefinition/log-source"
VERIFIED_URL = "https://nutrivision.example.org/fhir/StructureDefinition/user-verified"
_LOWER_BOUND = {"RDA", "AI"}
_UNIT_PER_DAY = {"g/d": "g", "mg/d": "mg", "ug/d": "ug", "[iU]/d": "[iU]"}
_DB_KEY = {"fiber": "fiber"}
WINDOW = 7


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


def targets(
    patient: dict[str, Any], icd10cm_codes: list[str], on: date
) -> dict[str, list[dict[str, Any]]]:
    """Targets per nutrient: DRIs for the patient's age and sex, then condition targets."""
    sources = intake_data().sources
    found: dict[str, list[dict[str, Any]]] = {}
    sex, age = _sex_age(patient, on)
    if sex is not None and age is not None:
        for (nutrient, kind), (value, unit, source) in reference_intakes(sex, age).items():
            if nutrient in UNITS:
                comparator = ">=" if kind in _LOWER_BOUND else "<="
                found.setdefault(nutrient, []).append(
                    {
                        "kind": kind,
                        "comparator": comparator,
                        "value": value,
                        "unit": unit,
                        "source": sources[source].title,
                        "basis": f"{kind}, {sex}, {age} y",
                    }
                )
    for target in condition_targets(icd10cm_codes):
        found.setdefault(target.nutrient, []).append(
            {
                "kind": "condition",
                "comparator": target.comparator,
                "value": target.value,
                "high": target.high,
                "unit": target.unit,
                "source": sources[target.source].title,
                "basis": f"{target.condition} ({target.icd10cm})",
                "note": target.note,
            }
        )
    return found


def assess(target: dict[str, Any], mean: dict[str, float], nutrient: str) -> str:
    """met, not met or individualized, for the mean daily intake."""
    comparator, value = target["comparator"], target.get("value")
    if comparator == "individualized" or value is None or not mean:
        return "individualized" if comparator == "individualized" else "no data"
    amount = mean.get(nutrient, 0.0)
    if target["unit"] == "g/(1000.kcal)":
        energy = mean.get("energy", 0.0)
        amount = amount * 1000 / energy if energy else 0.0
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
