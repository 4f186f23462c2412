"""The report's content, computed from the patient's stored resources only.

Every row keeps the references of the resources it comes from, so that the FHIR document can
cite them and each figure can be traced back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from operations.report import intake
from operations.report.gather import Period, Record
from terminology.icd10cm.codesystem import SYSTEM as ICD10CM
from terminology.icd10cm.codesystem import code_system

LOINC = "http://loinc.org"
LABS: dict[str, str] = {
    "4548-4": "HbA1c",
    "2345-7": "Glucose",
    "2093-3": "Cholesterol, total",
    "2085-9": "HDL cholesterol",
    "18262-6": "LDL cholesterol",
    "13457-7": "LDL cholesterol",
    "2571-8": "Triglycerides",
    "2823-3": "Potassium",
    "6298-4": "Potassium",
    "2160-0": "Creatinine",
}
"""LOINC codes of the lab results the report follows."""
_INACTIVE = {"inactive", "resolved", "remission"}
INCLUDES = ("trends", "alerts", "medications", "allergies", "labs", "recommendations")


def _text(concept: dict[str, Any] | None) -> str:
    concept = concept or {}
    first = (concept.get("coding") or [{}])[0]
    return str(concept.get("text") or first.get("display") or first.get("code") or "")


def _ref(resource: dict[str, Any]) -> str:
    return f"{resource['resourceType']}/{resource['id']}"


def _status(resource: dict[str, Any]) -> str:
    """The clinical status code; ``inactive`` for a refuted or erroneous record."""
    verification = (resource.get("verificationStatus") or {}).get("coding") or [{}]
    if verification[0].get("code") in ("refuted", "entered-in-error"):
        return "inactive"
    return str(((resource.get("clinicalStatus") or {}).get("coding") or [{}])[0].get("code", ""))


def header(patient: dict[str, Any], on: date) -> dict[str, Any]:
    """Name, age, sex, birth date and identifiers."""
    name = (patient.get("name") or [{}])[0]
    text = name.get("text") or " ".join([*name.get("given", []), name.get("family", "")]).strip()
    _, age = intake._sex_age(patient, on)
    ids = [
        {"system": i.get("system", ""), "value": i["value"]}
        for i in patient.get("identifier", [])
        if i.get("value")
    ]
    return {
        "reference": _ref(patient),
        "name": text or "(no name)",
        "age": age,
        "sex": patient.get("gender", "unknown"),
        "birthDate": patient.get("birthDate"),
        "identifiers": ids,
    }


def conditions(record: Record) -> list[dict[str, Any]]:
    """Active conditions; ICD-10-CM codes shown with the code system's display name."""
    index = code_system()
    out = []
    for condition in record.of("Condition"):
        if _status(condition) in _INACTIVE:
            continue
        icd = [
            c
            for c in (condition.get("code") or {}).get("coding", [])
            if c.get("system") == ICD10CM and index.get(str(c.get("code"))) is not None
        ]
        code = str(icd[0]["code"]) if icd else ""
        display = index.get(code).display if icd else _text(condition.get("code"))  # type: ignore[union-attr]
        out.append(
            {
                "reference": _ref(condition),
                "icd10cm": code,
                "display": display,
                "onset": str(condition.get("onsetDateTime", ""))[:10],
            }
        )
    return out


def allergies(record: Record) -> list[dict[str, Any]]:
    """Allergies and intolerances not resolved, with criticality, severity and reactions."""
    out = []
    for allergy in record.of("AllergyIntolerance"):
        if _status(allergy) in _INACTIVE:
            continue
        reactions = allergy.get("reaction", [])
        severities = [r["severity"] for r in reactions if r.get("severity")]
        worst = next((s for s in ("severe", "moderate", "mild") if s in severities), "")
        out.append(
            {
                "reference": _ref(allergy),
                "substance": _text(allergy.get("code")),
                "criticality": allergy.get("criticality", ""),
                "severity": worst,
                "reactions": [_text(m) for r in reactions for m in r.get("manifestation", [])],
            }
        )
    return out


def medications(record: Record) -> list[dict[str, Any]]:
    """Active medication statements and requests."""
    out = []
    for kind, active in (
        ("MedicationStatement", {"active", "intended"}),
        ("MedicationRequest", {"active", "on-hold"}),
    ):
        for med in record.of(kind):
            if med.get("status") not in active:
                continue
            dosage = (med.get("dosage") or med.get("dosageInstruction") or [{}])[0]
            name = _text(med.get("medicationCodeableConcept")) or str(
                (med.get("medicationReference") or {}).get("display", "")
            )
            out.append({"reference": _ref(med), "name": name, "dosage": dosage.get("text", "")})
    return out


def _loinc(observation: dict[str, Any]) -> str | None:
    for coding in (observation.get("code") or {}).get("coding", []):
        if coding.get("system") == LOINC and coding.get("code") in LABS:
            return str(coding["code"])
    return None


def labs(record: Record, period: Period) -> list[dict[str, Any]]:
    """Followed lab results up to the period's end, oldest first, grouped by test."""
    groups: dict[str, dict[str, Any]] = {}
    for obs in record.of("Observation"):
        code, when = _loinc(obs), str(obs.get("effectiveDateTime", ""))[:10]
        quantity = obs.get("valueQuantity") or {}
        if code is None or not when or "value" not in quantity or when > period.end.isoformat():
            continue
        ranges = (obs.get("referenceRange") or [{}])[0]
        low, high = (ranges.get("low") or {}).get("value"), (ranges.get("high") or {}).get("value")
        group = groups.setdefault(LABS[code], {"test": LABS[code], "loinc": code, "results": []})
        group["results"].append(
            {
                "reference": _ref(obs),
                "date": when,
                "value": quantity["value"],
                "unit": quantity.get("unit", quantity.get("code", "")),
                "low": low,
                "high": high,
                "interpretation": ",".join(_text(i) for i in obs.get("interpretation", [])),
            }
        )
    for group in groups.values():
        group["results"].sort(key=lambda r: r["date"])
        group["latest"] = group["results"][-1]
    return sorted(groups.values(), key=lambda g: str(g["test"]))


def alerts(record: Record, period: Period) -> list[dict[str, Any]]:
    """DetectedIssues identified in the period, acknowledged or not."""
    out = []
    for issue in record.of("DetectedIssue"):
        when = str(issue.get("identifiedDateTime", ""))[:10]
        if not (period.start.isoformat() <= when <= period.end.isoformat()):
            continue
        acknowledged = issue.get("status") not in ("preliminary", None) and "author" in issue
        out.append(
            {
                "reference": _ref(issue),
                "date": when,
                "severity": issue.get("severity", ""),
                "title": _text(issue.get("code")),
                "detail": issue.get("detail", ""),
                "acknowledged": acknowledged,
            }
        )
    return sorted(out, key=lambda a: (a["date"], a["reference"]))


def recommendations(nutrition: dict[str, Any]) -> list[str]:
    """Plain statements for each target not met (no advice beyond the target itself)."""
    out = []
    for key, rows in nutrition["targets"].items():
        for row in rows:
            if row["status"] == "not met":
                bound = {"<=": "at most", "<": "below", ">=": "at least", "range": "between"}
                value = f"{row['value']:g}" + (f"-{row['high']:g}" if row.get("high") else "")
                out.append(
                    f"{key}: mean {nutrition['mean'].get(key, 0):g}; target "
                    f"{bound[row['comparator']]} {value} {row['unit']} ({row['source']})"
                )
    return out


def build(record: Record, period: Period, include: frozenset[str]) -> dict[str, Any]:
    """The whole report as JSON-ready data."""
    active = conditions(record)
    days = intake.daily(record.of("NutritionIntake"), period)
    mean = intake.averages(days)
    found = intake.targets(
        record.patient, [c["icd10cm"] for c in active if c["icd10cm"]], period.end
    )
    for key, rows in found.items():
        for row in rows:
            row["status"] = intake.assess(row, mean, key)
    nutrition = {"days": days, "mean": mean, "targets": found}
    report: dict[str, Any] = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "patient": header(record.patient, period.end),
        "conditions": active,
        "nutrition": nutrition,
        "quality": intake.quality(record.of("NutritionIntake"), days),
        "include": sorted(include),
    }
    sections: dict[str, Callable[[], Any]] = {
        "allergies": lambda: allergies(record),
        "medications": lambda: medications(record),
        "labs": lambda: labs(record, period),
        "alerts": lambda: alerts(record, period),
        "trends": lambda: intake.trends(days),
        "recommendations": lambda: recommendations(nutrition),
    }
    for name, compute in sections.items():
        if name in include:
            report[name] = compute()
    return report
