"""The report as a FHIR ``document`` Bundle: a Composition with LOINC-coded sections, the
resources it cites, an Observation per reported nutrient (mean daily intake, the daily totals
as components, the targets as reference ranges) and, when asked, the PDF as a
DocumentReference.

https://hl7.org/fhir/R4/documents.html
"""

from __future__ import annotations

import base64
import html
import uuid
from typing import Any

from operations.report.gather import Record
from operations.report.nutrients import REPORTED

LOINC = "http://loinc.org"
SECTIONS = {
    "allergies": ("48765-2", "Allergies and adverse reactions"),
    "medications": ("10160-0", "History of medication use"),
    "problems": ("11450-4", "Problem list"),
    "labs": ("30954-2", "Relevant diagnostic tests/laboratory data"),
    "nutrition": ("61144-2", "Diet and nutrition"),
    "alerts": ("69730-0", "Instructions"),
}
REPORT_TYPE = ("60591-5", "Patient summary Document")


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _div(rows: list[str]) -> dict[str, str]:
    items = "".join(f"<li>{html.escape(r)}</li>" for r in rows) or "<li>None recorded</li>"
    return {
        "status": "generated",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><ul>{items}</ul></div>',
    }


def _section(key: str, rows: list[str], refs: list[str]) -> dict[str, Any]:
    code, display = SECTIONS[key]
    section: dict[str, Any] = {
        "title": display,
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
        "text": _div(rows),
    }
    if refs:
        section["entry"] = [{"reference": r} for r in refs]
    else:
        section["emptyReason"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/list-empty-reason",
                    "code": "nilknown",
                }
            ]
        }
    return section


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}


def _range(target: dict[str, Any], unit: str) -> dict[str, Any] | None:
    if target.get("value") is None:
        return None
    out: dict[str, Any] = {
        "text": f"{target['kind']} {target['comparator']} ({target['basis']}; "
        f"source: {target['source']}): {target['status']}"
    }
    if target["comparator"] in (">=", "range"):
        out["low"] = _quantity(target["value"], unit)
    if target["comparator"] in ("<=", "<"):
        out["high"] = _quantity(target["value"], unit)
    if target.get("high") is not None:
        out["high"] = _quantity(target["high"], unit)
    # Targets per 1,000 kcal or in % of energy are not in the nutrient's unit: text only.
    return out if target["unit"] not in ("g/(1000.kcal)", "%") else {"text": out["text"]}


def nutrient_observations(report: dict[str, Any], patient_ref: str) -> list[dict[str, Any]]:
    """One Observation per nutrient: the mean, each day's total, the targets."""
    nutrition, period = report["nutrition"], report["period"]
    out = []
    for key, label, unit in REPORTED:
        logged = [d for d in nutrition["days"] if d["intakes"]]
        ranges = [_range(t, unit) for t in nutrition["targets"].get(key, [])]
        obs: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "code": {
                "coding": [
                    {
                        "system": "https://nutrivision.example.org/fhir/CodeSystem/nutrient",
                        "code": key,
                    }
                ],
                "text": f"{label}, mean daily intake",
            },
            "subject": {"reference": patient_ref},
            "effectivePeriod": {"start": period["start"], "end": period["end"]},
            "component": [
                {
                    "code": {"text": d["date"]},
                    "valueQuantity": _quantity(d["totals"].get(key, 0.0), unit),
                }
                for d in logged
            ],
        }
        if key in nutrition["mean"]:
            obs["valueQuantity"] = _quantity(nutrition["mean"][key], unit)
        else:
            obs["dataAbsentReason"] = {"text": "no logs in the period"}
        if any(ranges):
            obs["referenceRange"] = [r for r in ranges if r]
        out.append(obs)
    return out


def _rows(report: dict[str, Any]) -> dict[str, tuple[list[str], list[str]]]:
    nutr = report["nutrition"]
    return {
        "problems": (
            [f"{c['display']} {c['icd10cm']}".strip() for c in report["conditions"]],
            [c["reference"] for c in report["conditions"]],
        ),
        "allergies": (
            [
                f"{a['substance']} ({a['criticality']}, {a['severity']}): "
                f"{', '.join(a['reactions'])}"
                for a in report.get("allergies", [])
            ],
            [a["reference"] for a in report.get("allergies", [])],
        ),
        "medications": (
            [f"{m['name']} {m['dosage']}" for m in report.get("medications", [])],
            [m["reference"] for m in report.get("medications", [])],
        ),
        "labs": (
            [
                f"{g['test']}: {r['value']} {r['unit']} on {r['date']}"
                for g in report.get("labs", [])
                for r in g["results"]
            ],
            [r["reference"] for g in report.get("labs", []) for r in g["results"]],
        ),
        "nutrition": (
            [f"{k}: mean {v:g} per day" for k, v in nutr["mean"].items()],
            [i for d in nutr["days"] for i in d["intakes"]],
        ),
        "alerts": (
            [
                f"{a['date']} {a['severity']} {a['title']}"
                f"{' (acknowledged)' if a['acknowledged'] else ''}"
                for a in report.get("alerts", [])
            ],
            [a["reference"] for a in report.get("alerts", [])],
        ),
    }


def document(
    report: dict[str, Any], record: Record, base_url: str, pdf: bytes | None
) -> dict[str, Any]:
    """The document Bundle; every cited resource is inside it."""
    patient_ref = report["patient"]["reference"]
    stored = {f"{r['resourceType']}/{r['id']}": r for rs in record.by_type.values() for r in rs}
    stored[patient_ref] = record.patient
    sections = [_section(k, *v) for k, v in _rows(report).items()]
    extra: list[tuple[str, dict[str, Any]]] = [
        (_urn(), o) for o in nutrient_observations(report, patient_ref)
    ]
    sections[4].setdefault("entry", []).extend({"reference": u} for u, _ in extra)
    sections[4].pop("emptyReason", None)
    if pdf is not None:
        extra.append((_urn(), pdf_reference(pdf, patient_ref, report)))
    refs = {e["reference"] for s in sections for e in s.get("entry", [])}
    cited = [patient_ref, *sorted(r for r in refs if not r.startswith("urn:"))]
    composition = {
        "resourceType": "Composition",
        "status": "final",
        "type": {"coding": [{"system": LOINC, "code": REPORT_TYPE[0], "display": REPORT_TYPE[1]}]},
        "subject": {"reference": patient_ref},
        "date": report["generated"],
        "author": [{"display": "Nutri-Vision clinical nutrition report"}],
        "title": "Clinical nutrition report {start} to {end}".format(**report["period"]),
        "event": [{"period": dict(report["period"])}],
        "section": sections,
    }
    entries = [{"fullUrl": _urn(), "resource": composition}]
    entries += [{"fullUrl": f"{base_url}/{r}", "resource": stored[r]} for r in cited]
    entries += [{"fullUrl": u, "resource": r} for u, r in extra]
    return {
        "resourceType": "Bundle",
        "type": "document",
        "timestamp": report["generated"],
        "identifier": {"system": "urn:ietf:rfc:3986", "value": _urn()},
        "entry": entries,
    }


def pdf_reference(pdf: bytes, patient_ref: str, report: dict[str, Any]) -> dict[str, Any]:
    """The PDF as a DocumentReference with the document inline."""
    return {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"coding": [{"system": LOINC, "code": REPORT_TYPE[0], "display": REPORT_TYPE[1]}]},
        "subject": {"reference": patient_ref},
        "date": report["generated"],
        "description": "Clinical nutrition report (PDF)",
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "title": "clinical-report.pdf",
                    "data": base64.b64encode(pdf).decode("ascii"),
                }
            }
        ],
    }
